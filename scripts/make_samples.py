"""Generates the sample documents in samples/ (insurance-policy-like PDFs and markdown).

Run with scripts/make-samples.sh, which installs fpdf2 from PyPI into .venv first.
Output is deterministic (fixed creation date), so regenerating changes nothing unless this
script changes.
"""
import datetime
import pathlib

from fpdf import FPDF

OUT = pathlib.Path(__file__).resolve().parent.parent / "samples"
FIXED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def new_pdf(title):
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED)
    pdf.set_title(title)
    pdf.set_author("doc-ingest samples")
    pdf.set_auto_page_break(auto=True, margin=18)
    return pdf


def heading(pdf, text, size=13):
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def para(pdf, text):
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def table(pdf, rows, col_widths=(70, 40, 40)):
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(col_widths=col_widths) as t:
        for r in rows:
            row = t.row()
            for cell in r:
                row.cell(cell)
    pdf.ln(3)


def home_policy():
    pdf = new_pdf("Home Insurance Policy Wording")
    pdf.add_page()
    heading(pdf, "Home Insurance Policy Wording", 16)
    para(pdf, "Policy number HX-2026-004417. This policy is a contract between you and Example Mutual "
              "Insurance. Please read it together with your schedule, which shows the sections you have "
              "chosen, your sums insured and your excesses.")
    heading(pdf, "1 Definitions")
    para(pdf, "1.1 Buildings: the home, its fixtures and fittings, outbuildings, garages, walls, gates, "
              "fences, paths and drives at the address shown in the schedule.")
    para(pdf, "1.2 Contents: household goods, personal possessions and valuables belonging to you or "
              "your family while inside the home.")
    para(pdf, "1.3 Excess: the amount you must pay towards each claim, shown in the schedule.")
    heading(pdf, "2 Cover for buildings")
    para(pdf, "We will pay for loss of or damage to the buildings caused by fire, lightning, explosion, "
              "earthquake, storm, flood, escape of water from any fixed water installation, theft or "
              "attempted theft, subsidence, heave or landslip, and impact by vehicles or falling trees.")
    pdf.add_page()
    heading(pdf, "3 Schedule of cover")
    table(pdf, [
        ("Section", "Sum insured", "Excess"),
        ("Buildings", "GBP 450,000", "GBP 350"),
        ("Contents", "GBP 75,000", "GBP 150"),
        ("Accidental damage", "Included", "GBP 250"),
        ("Legal expenses", "GBP 100,000", "Nil"),
    ])
    heading(pdf, "4 Water damage")
    para(pdf, "4.1 Escape of water: we will pay for damage caused by water escaping from a fixed water "
              "or heating installation, including burst pipes, provided the home was not unoccupied for "
              "more than 60 consecutive days.")
    para(pdf, "4.2 Trace and access: we will pay up to GBP 5,000 for the cost of finding the source of "
              "escaping water and repairing the damage caused by the search.")
    para(pdf, "4.3 Exclusions: we will not pay for wear and tear, gradual deterioration, rot or mould, "
              "or damage to the installation itself.")
    pdf.add_page()
    heading(pdf, "5 General conditions")
    para(pdf, "5.1 Reasonable care: you must keep the property in a good state of repair and take all "
              "reasonable steps to prevent loss or damage.")
    para(pdf, "5.2 Claims: tell us as soon as possible, and within 30 days, about any incident that may "
              "lead to a claim. Report theft or malicious damage to the police within 24 hours.")
    para(pdf, "5.3 Cancellation: you may cancel within 14 days of receiving your documents and we will "
              "refund the premium in full if no claim has been made.")
    return pdf


def motor_schedule():
    pdf = new_pdf("Motor Insurance Schedule")
    pdf.add_page()
    heading(pdf, "Motor Insurance Schedule", 16)
    para(pdf, "Policyholder: A. Example. Period of cover: 1 January 2026 to 31 December 2026.")
    heading(pdf, "1 Vehicle")
    table(pdf, [
        ("Item", "Detail", "Value"),
        ("Registration", "EX26 MPL", "-"),
        ("Make and model", "Example Hatch 1.5", "GBP 18,500"),
        ("Annual mileage", "8,000 miles", "-"),
    ])
    heading(pdf, "2 Cover and excesses")
    para(pdf, "2.1 Level of cover: comprehensive. Driving other cars is not included.")
    para(pdf, "2.2 Compulsory excess GBP 250; voluntary excess GBP 100; windscreen excess GBP 75.")
    pdf.add_page()
    heading(pdf, "3 Endorsements")
    para(pdf, "E04 Telematics: cover depends on the telematics device staying installed and working. "
              "E11 Named drivers only: only the drivers named in this schedule may drive the vehicle.")
    return pdf


def main():
    OUT.mkdir(exist_ok=True)
    home_policy().output(str(OUT / "home-insurance-policy.pdf"))
    motor_schedule().output(str(OUT / "motor-insurance-schedule.pdf"))
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("*.pdf"))))


if __name__ == "__main__":
    main()
