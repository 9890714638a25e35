"""Generates the parser's fixture PDFs in shared/fixtures/pdf/ (committed), and on request one
large policy for the parse benchmark (not committed: build it with --large).

    scripts/make-fixtures.sh                      # the fixture corpus
    scripts/make-fixtures.sh --large X.pdf --pages 400   # ~25 MB, several hundred pages

The documents look like insurance policies: numbered sections (1, 1.1, 1.1.1) set in bold,
coverage tables (one with wrapped cells), a running header and footer, a two-column page, a
policy set in embedded TrueType fonts (composite fonts, accented text and the euro sign), an
encrypted file, an image-only (scanned) file and a corrupt one.
"""
import argparse
import datetime
import io
import pathlib
import random

from fpdf import FPDF
from PIL import Image

import make_samples as samples
from make_samples import para

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "shared" / "fixtures" / "pdf"
FIXED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

SECTIONS = [
    ("Definitions", [
        ("Buildings", "The home, its fixtures and fittings, outbuildings, garages, walls, gates, fences, paths and drives at the address shown in the schedule."),
        ("Contents", "Household goods, personal possessions and valuables belonging to you or your family while inside the home."),
    ]),
    ("Cover for buildings", [
        ("Insured events", "We will pay for loss of or damage to the buildings caused by fire, lightning, explosion, earthquake, storm, flood, theft or attempted theft, subsidence, heave or landslip."),
        ("Escape of water", "We will pay for damage caused by water escaping from a fixed water or heating installation, provided the home was not unoccupied for more than 60 consecutive days."),
    ]),
    ("Cover for contents", [
        ("Accidental damage", "Accidental damage to televisions, computers and audio equipment in the home is covered up to the limit in the table below."),
        ("Contents in the garden", "Garden furniture and plants are covered up to GBP 1,000 against theft and storm."),
    ]),
    ("Claims", [
        ("Telling us about a claim", "Tell us as soon as possible and within 30 days about any incident that may lead to a claim. Report theft or malicious damage to the police within 24 hours and obtain a crime reference number."),
        ("Settling claims", "We may repair, reinstate or replace the damaged property, or pay you the cost of doing so, less the excess shown in the schedule."),
    ]),
]

TABLES = {
    "Cover for buildings": [
        ("Cover", "Limit", "Excess"),
        ("Buildings", "GBP 450,000", "GBP 350"),
        ("Escape of water", "GBP 450,000", "GBP 500"),
        ("Trace and access", "GBP 5,000", "GBP 350"),
    ],
    "Cover for contents": [
        ("Cover", "Limit", "Excess"),
        ("Contents", "GBP 75,000", "GBP 150"),
        ("Accidental damage to home entertainment equipment including televisions", "GBP 2,500", "GBP 100"),
        ("Valuables (single article limit)", "GBP 2,000", "GBP 150"),
    ],
    "Claims": [
        ("Claim type", "Call within", "Documents"),
        ("Theft", "24 hours", "Crime reference"),
        ("Storm", "30 days", "Photographs"),
    ],
}

FILLER = ("This section must be read together with the general conditions and exclusions, which apply "
          "to the whole policy. Words in bold have the meaning given in the definitions. ")


class Policy(FPDF):
    running_title = "Example Mutual - Home Policy HX-2026-004417"

    def header(self):
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, self.running_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")


def new_pdf(cls=FPDF):
    pdf = cls(format="A4")
    pdf.set_creation_date(FIXED)
    pdf.set_author("doc-ingest fixtures")
    pdf.set_auto_page_break(auto=True, margin=18)
    return pdf


def heading(pdf, text, size):
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def table(pdf, rows):
    samples.table(pdf, rows, col_widths=(80, 40, 40))


def noise_png(seed, size=250):
    rng = random.Random(seed)
    img = Image.frombytes("L", (size, size), bytes(rng.getrandbits(8) for _ in range(size * size)))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return buf


def policy(pages_per_section=1, images=False):
    pdf = new_pdf(Policy)
    pdf.set_title("Home Insurance Policy Wording")
    pdf.add_page()
    heading(pdf, "Home Insurance Policy Wording", 18)
    para(pdf, "This policy is a contract between you and Example Mutual Insurance. Please read it "
              "together with your schedule, which shows the sections you have chosen.")
    n = 0
    for rep in range(pages_per_section):
        for i, (title, subs) in enumerate(SECTIONS, start=1):
            number = rep * len(SECTIONS) + i
            pdf.add_page()
            if images:
                pdf.image(noise_png(number), x=150, y=20, w=40)
            heading(pdf, f"{number} {title}", 13)
            for j, (sub, text) in enumerate(subs, start=1):
                heading(pdf, f"{number}.{j} {sub}", 11)
                para(pdf, text + " " + FILLER * 2)
                heading(pdf, f"{number}.{j}.1 Limits", 10)
                para(pdf, "The most we will pay is shown in the schedule. " + FILLER)
                n += 1
            if title in TABLES:
                table(pdf, TABLES[title])
    return pdf


def two_column():
    pdf = new_pdf()
    pdf.add_page()
    heading(pdf, "Claims guide", 16)
    pdf.set_font("Helvetica", "", 10)
    left = ("LEFTSTART When something goes wrong, call the claims line first. We will tell you whether "
            "the damage is covered and arrange an assessor if one is needed. Keep damaged items until "
            "we have seen them, and take photographs before anything is repaired. " * 3) + "LEFTEND"
    right = ("RIGHTSTART Emergency repairs to prevent further damage may be made straight away; keep "
             "the receipts, because we will refund reasonable costs. Do not dispose of carpets or "
             "furniture before the assessor has visited. " * 3) + "RIGHTEND"
    with pdf.text_columns(ncols=2, gutter=10) as cols:
        cols.write(text=left)
        cols.new_column()
        cols.write(text=right)
    return pdf


DEJAVU = pathlib.Path("/usr/share/fonts/truetype/dejavu")


def unicode_policy():
    """Embedded TrueType fonts: written as composite (Type0, Identity-H) fonts with per-CID widths."""
    pdf = new_pdf()
    pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, "Assurance habitation - Conditions générales", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 7, "1 Garanties", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, "Les dommages causés par l'eau sont couverts jusqu'à 450 000 €, franchise déduite. "
                         "Les biens situés à l'extérieur du logement ne sont pas garantis.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(80, 40, 40)) as t:
        for r in [("Garantie", "Plafond", "Franchise"), ("Dégât des eaux", "450 000 €", "350 €"), ("Bris de glace", "2 000 €", "150 €")]:
            row = t.row()
            for cell in r:
                row.cell(cell)
    return pdf


def encrypted():
    pdf = new_pdf()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.add_page()
    para(pdf, "Confidential schedule.")
    return pdf


def image_only():
    pdf = new_pdf()
    for seed in range(3):
        pdf.add_page()
        pdf.image(noise_png(seed, 400), x=10, y=10, w=190)
    return pdf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", type=pathlib.Path, help="write a large policy here instead of the corpus")
    ap.add_argument("--images", action="store_true", help="with --large: a noise image per section page")
    ap.add_argument("--pages", type=int, default=400)
    args = ap.parse_args()
    if args.large:
        # Each repetition of the sections is about 4 pages of text and tables: the parser's own
        # work. (--images adds a noise image per section page, which pads the file with bytes the
        # parser only skips.)
        pdf = policy(pages_per_section=max(1, args.pages // 4), images=args.images)
        pdf.output(str(args.large))
        print(f"wrote {args.large} ({pdf.pages_count} pages, {args.large.stat().st_size / 1e6:.1f} MB)")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    policy().output(str(OUT / "policy.pdf"))
    two_column().output(str(OUT / "two-column.pdf"))
    encrypted().output(str(OUT / "encrypted.pdf"))
    image_only().output(str(OUT / "image-only.pdf"))
    unicode_policy().output(str(OUT / "unicode-policy.pdf"))
    rng = random.Random(7)
    (OUT / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(rng.getrandbits(8) for _ in range(4096)))
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("*.pdf"))))


if __name__ == "__main__":
    main()
