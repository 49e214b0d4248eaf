#!/usr/bin/env python3
"""Writes SampleBatches/: December 2024 of a small centre, as a French-style CSV (Windows-1252,
';', decimal comma, French headers read through Rules/profiles/export-fr.yaml) and as the
contract's XML, with a roster and PLANTED.md listing every planted finding.

Deterministic: the same files every run. The expected audit (SampleBatches/expected/) is the
tool's output on these files, checked against PLANTED.md; regenerate it with
Scripts/update-expected.sh after a deliberate change.
"""
import datetime as dt
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "SampleBatches")
rng = random.Random(2024)


def luhn_ok(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def rpps(n):
    body = "%010d" % (1_000_000_100 + n)
    return next(body + str(d) for d in range(10) if luhn_ok(body + str(d)))


def nir(sex, birth, dept, commune, order):
    body = "%d%02d%02d%s%03d%03d" % (sex, birth.year % 100, birth.month, dept, commune, order)
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return body + "%02d" % (97 - number % 97)


GPS = [(rpps(1), "Dr Claire Martin"), (rpps(2), "Dr Karim Benali"), (rpps(3), "Dr Sophie Lefèvre"), (rpps(4), "Dr Julien Moreau")]
NURSE = (rpps(5), "Élodie Garnier, infirmière")
DEPARTED = (rpps(6), "Dr Henri Dubois")
DAY = dt.date(2024, 12, 1)
NEW_TARIFF = dt.date(2024, 12, 22)


def g_tariff(day):
    return 2650 if day < NEW_TARIFF else 3000


def age(birth, day):
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


class Patient:
    def __init__(self, index, birth, status="centre", mt=None, ald=False, local=False, corsica=False):
        sex = 1 + index % 2
        self.birth = birth
        self.sex = "M" if sex == 1 else "F"
        if local:
            self.id = "P%06d" % (100 + index)
        else:
            self.id = nir(sex, birth, "2A" if corsica else "%02d" % (75 + index % 20), 100 + index, 1 + index)
        self.status = status
        self.mt = mt if mt is not None else (GPS[index % 4][0] if status == "centre" else "")
        self.ald = ald


patients = []


def patient(**kwargs):
    p = Patient(len(patients), **kwargs)
    patients.append(p)
    return p


def birth_years_ago(years, day_offset=0):
    return dt.date(2024 - years, 1 + rng.randrange(12), 1 + rng.randrange(28)) + dt.timedelta(days=day_offset)


# Regular population: adults, a few children under 6 (with MEG billed), elderly with their MT here.
adults = [patient(birth=birth_years_ago(rng.randrange(18, 75)), status=rng.choice(["centre"] * 4 + ["elsewhere"])) for _ in range(34)]
adults.append(patient(birth=dt.date(1979, 6, 14), corsica=True))
adults += [patient(birth=birth_years_ago(rng.randrange(20, 60)), local=True) for _ in range(3)]
children = [patient(birth=birth_years_ago(rng.randrange(1, 5))) for _ in range(8)]
elderly = [patient(birth=birth_years_ago(rng.randrange(81, 92)), ald=rng.random() < 0.5) for _ in range(5)]
nurse_patients = [patient(birth=birth_years_ago(rng.randrange(60, 85))) for _ in range(4)]

invoices = []  # (invoice dict, [acts], planted note or None)
counter = [0]


def invoice(day, practitioner, p, acts, place="cabinet", time=None, specialty="01", note=None, bad=None):
    counter[0] += 1
    number = "F2024-%05d" % counter[0]
    time = time or "%02d:%02d" % (8 + rng.randrange(11), rng.choice([0, 15, 30, 45]))
    invoices.append(dict(id=number, day=day, time=time, place=place, practitioner=practitioner, specialty=specialty,
                         patient=p, acts=acts, note=note, bad=bad))
    return number


def weekday(n):
    """The n-th working day of December 2024 (Monday to Saturday, not the 25th)."""
    day = DAY
    count = -1
    while True:
        if day.weekday() < 6 and day != dt.date(2024, 12, 25):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)


WORKING_DAYS = 25
seen = set()


def free_day(p, practitioner, start=0, end=WORKING_DAYS):
    for _ in range(200):
        day = weekday(rng.randrange(start, end))
        if (p.id, day, practitioner) not in seen:
            seen.add((p.id, day, practitioner))
            return day
    raise RuntimeError("no free day")


def consultation(p, practitioner, day, extra=()):
    acts = [("G", "1", g_tariff(day))]
    if age(p.birth, day) < 6:
        acts.append(("MEG", "1", 500))
    if age(p.birth, day) >= 80 and p.status != "centre":
        acts.append(("MOP", "1", 500))
    return acts + list(extra)


# Normal, correct billing.
for p in adults + children + elderly:
    for _ in range(1 + rng.randrange(3)):
        gp = rng.choice(GPS)[0]
        day = free_day(p, gp)
        if p in elderly and rng.random() < 0.4:
            acts = [("VG", "1", g_tariff(day)), ("MD", "1", 1000)]
            if age(p.birth, day) < 6:
                acts.append(("MEG", "1", 500))
            invoice(day, gp, p, acts, place="domicile")
        elif p in adults and rng.random() < 0.08:
            invoice(day, gp, p, consultation(p, gp, day, [("DEQP003", "1", 1426)]))
        elif p in adults and rng.random() < 0.05:
            invoice(day, gp, p, consultation(p, gp, day), place="tele")
        else:
            invoice(day, gp, p, consultation(p, gp, day))
for p in nurse_patients:
    for _ in range(3):
        day = free_day(p, NURSE[0])
        invoice(day, NURSE[0], p, [("AMI", "2", 630)], specialty="24")

planted = []


def plant(rule, number, amount, why, kind="lost_cents"):
    planted.append((rule, number, amount, kind, why))


# tariff-below-schedule: G at last year's tariff after 22/12/2024, and an ECG at half rate.
for p in adults[:4]:
    gp = GPS[1][0]
    day = free_day(p, gp, start=18)
    number = invoice(day, gp, p, [("G", "1", 2650)])
    plant("tariff-below-schedule", number, 350, "G facturé 26,50 € le %s, tarif 30,00 € depuis le 22/12/2024" % day)
p = adults[5]
day = free_day(p, GPS[2][0], end=15)
number = invoice(day, GPS[2][0], p, [("G", "1", 2650), ("DEQP003", "1", 713)])
plant("tariff-below-schedule", number, 713, "ECG à demi-tarif (7,13 €) à côté d'une consultation : il se cumule à taux plein (14,26 € en 2024)")

# missing-meg: children under 6 without MEG; one turns 6 three days after the act.
for p in children[:2]:
    gp = GPS[0][0]
    day = free_day(p, gp)
    number = invoice(day, gp, p, [("G", "1", g_tariff(day))])
    plant("missing-meg", number, 500, "G sans MEG pour un enfant de %d ans" % age(p.birth, day))
almost_six = patient(birth=dt.date(2018, 12, 13))
number = invoice(dt.date(2024, 12, 10), GPS[3][0], almost_six, [("G", "1", 2650)])
plant("missing-meg", number, 500, "enfant qui aura 6 ans le 13/12/2024, vu le 10/12 : encore moins de 6 ans, MEG due")
just_six = patient(birth=dt.date(2018, 12, 7))
invoice(dt.date(2024, 12, 10), GPS[3][0], just_six, [("G", "1", 2650)],
        note="témoin : enfant qui a eu 6 ans le 07/12/2024, G sans MEG correcte")

# missing-md: visits without MD; a control visit with MU.
for p in elderly[:2]:
    gp = GPS[2][0]
    day = free_day(p, gp)
    number = invoice(day, gp, p, [("VG", "1", g_tariff(day))], place="domicile")
    plant("missing-md", number, 1000, "VG sans MD ni MU")
p = elderly[2]
day = free_day(p, GPS[0][0])
invoice(day, GPS[0][0], p, [("VG", "1", g_tariff(day)), ("MU", "1", 2260)], place="domicile",
        note="témoin : VG avec MU, sans MD : correcte")

# missing-mt-declaration: regular patients without médecin traitant (forfait by category).
no_mt = [
    (patient(birth=dt.date(1988, 3, 9), status="none"), 500, "adulte de 36 ans sans ALD : FPMT 5 €"),
    (patient(birth=dt.date(1961, 7, 22), status="none", ald=True), 4200, "patient de 63 ans en ALD : FPMT 42 €"),
    (patient(birth=dt.date(1939, 2, 2), status="none"), 4200, "patient de 85 ans sans ALD : FPMT 42 € (MOP facturée)"),
]
for p, forfait, why in no_mt:
    numbers = []
    for gp in (GPS[0][0], GPS[0][0], GPS[1][0]):
        day = free_day(p, gp)
        numbers.append(invoice(day, gp, p, consultation(p, gp, day)))
    plant("missing-mt-declaration", " ".join(numbers), forfait, why)
once = patient(birth=dt.date(1990, 10, 1), status="none")
day = free_day(once, GPS[1][0])
invoice(day, GPS[1][0], once, consultation(once, GPS[1][0], day), note="témoin : sans médecin traitant mais vu une seule fois")

# mt-practitioner-departed: declarations attached to the doctor who left on 30/11/2024.
for p in (patient(birth=dt.date(1970, 5, 5), mt=DEPARTED[0]), patient(birth=dt.date(1952, 9, 30), mt=DEPARTED[0], ald=True)):
    gp = GPS[3][0]
    day = free_day(p, gp)
    number = invoice(day, gp, p, consultation(p, gp, day))
    plant("mt-practitioner-departed", number, 500 if not p.ald else 4200,
          "médecin traitant déclaré : %s, parti le 30/11/2024" % DEPARTED[1])

# meg-over-age: MEG billed for children of 6 or more.
for birth in (dt.date(2017, 4, 2), dt.date(2014, 1, 20)):
    p = patient(birth=birth)
    gp = GPS[1][0]
    day = free_day(p, gp)
    number = invoice(day, gp, p, [("G", "1", g_tariff(day)), ("MEG", "1", 500)])
    plant("meg-over-age", number, 500, "MEG pour un enfant de %d ans" % age(p.birth, day), kind="at_risk_cents")

# Rows to reject, each on its own invoice among good ones.
p = adults[10]
invoice(weekday(3), GPS[0][0], p, [("G", "1", 2650)], bad="date")
invoice(weekday(4), "10000001235", adults[11], [("G", "1", 2650)], bad="rpps")
invoice(weekday(5), GPS[2][0], adults[12], [("G", "1", 2650)], bad="amount")

# Interleave the planted invoices with the others, in date order, then renumber lines.
invoices.sort(key=lambda inv: (inv["day"], inv["time"], inv["id"]))


def euros(cents, comma):
    text = "%d.%02d" % (cents // 100, cents % 100)
    return text.replace(".", ",") if comma else text


PLACE_FR = {"cabinet": "Cabinet", "domicile": "Domicile", "tele": "Téléconsultation", "ehpad": "EHPAD"}
STATUS_FR = {"centre": "Centre", "elsewhere": "Autre", "none": "Aucun"}

os.makedirs(os.path.join(ROOT, "csv"), exist_ok=True)
os.makedirs(os.path.join(ROOT, "xml"), exist_ok=True)
header = ["N° facture", "Date de l'acte", "Heure", "Lieu", "RPPS", "Spécialité", "NIR", "Date de naissance", "Sexe",
          "ALD", "Médecin traitant", "RPPS médecin traitant", "Code acte", "Coefficient", "Quantité", "Modificateurs",
          "Montant", "Commentaire"]
rows = [";".join(header)]
xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<batch centre="750000001" exported-at="2025-01-02T02:00:00">']
line_of = {}
comments = {0: 'Patient vu en urgence; "retour" prévu', 7: "Rappel :\r\nrésultats à transmettre"}
for index, inv in enumerate(invoices):
    p = inv["patient"]
    day = inv["day"]
    date_fr = day.strftime("%d/%m/%Y")
    date_iso = day.isoformat()
    practitioner = inv["practitioner"]
    if inv["bad"] == "date":
        date_fr, date_iso = "31/11/2024", "2024-11-31"
    xml.append('  <invoice id="%s" date="%s" time="%s" place="%s" practitioner="%s" specialty="%s">'
               % (inv["id"], date_iso, inv["time"], inv["place"], practitioner, inv["specialty"]))
    xml.append('    <patient id="%s" birth-date="%s" sex="%s" ald="%s" mt-status="%s"%s/>'
               % (p.id, p.birth.isoformat(), p.sex, "true" if p.ald else "false", p.status,
                  ' mt-practitioner="%s"' % p.mt if p.mt else ""))
    for code, coefficient, cents in inv["acts"]:
        amount_fr, amount_xml = euros(cents, True), euros(cents, False)
        if inv["bad"] == "amount":
            amount_fr, amount_xml = "26,5O", "26.5O"
        comment = comments.get(index, "")
        fields = [inv["id"], date_fr, inv["time"], PLACE_FR[inv["place"]], practitioner, inv["specialty"], p.id,
                  p.birth.strftime("%d/%m/%Y"), p.sex, "Oui" if p.ald else "Non", STATUS_FR[p.status], p.mt, code,
                  coefficient.replace(".", ","), "1", "", amount_fr,
                  '"%s"' % comment.replace('"', '""') if comment else ""]
        physical = 1 + sum(r.count("\r\n") + 1 for r in rows)
        line_of.setdefault(inv["id"], physical)
        rows.append(";".join(fields))
        xml.append('    <act code="%s" coefficient="%s" quantity="1" amount="%s"/>' % (code, coefficient, amount_xml))
    xml.append("  </invoice>")
xml.append("</batch>")

with open(os.path.join(ROOT, "csv", "decembre-2024.csv"), "wb") as out:
    out.write(("\r\n".join(rows) + "\r\n").encode("cp1252"))
with open(os.path.join(ROOT, "xml", "decembre-2024.xml"), "w", encoding="utf-8") as out:
    out.write("\n".join(xml) + "\n")
with open(os.path.join(ROOT, "roster.csv"), "w", encoding="utf-8") as out:
    out.write("practitioner_id;name;specialty;start_date;end_date\n")
    for number, name in GPS:
        out.write("%s;%s;01;2019-09-01;\n" % (number, name))
    out.write("%s;%s;24;2021-03-15;\n" % NURSE)
    out.write("%s;%s;01;2012-01-02;2024-11-30\n" % DEPARTED)

with open(os.path.join(ROOT, "PLANTED.md"), "w", encoding="utf-8") as out:
    out.write("# Constats plantés dans l'échantillon de décembre 2024\n\n")
    out.write("Généré par `Scripts/make-samples.py`. Tout le reste de la facturation est correct.\n\n")
    out.write("| règle | facture(s) | ligne CSV | montant | pourquoi |\n| --- | --- | --- | --- | --- |\n")
    for rule, numbers, amount, kind, why in planted:
        lines = ", ".join(str(line_of[n]) for n in numbers.split())
        out.write("| `%s` | %s | %s | %s %d | %s |\n" % (rule, numbers, lines, kind, amount, why))
    out.write("\n## Lignes à rejeter\n\n")
    for inv in invoices:
        if inv["bad"]:
            what = {"date": "date impossible 31/11/2024", "rpps": "RPPS dont la clé de Luhn est fausse",
                    "amount": "montant « 26,5O » (lettre O)"}[inv["bad"]]
            out.write("- facture %s, ligne CSV %d : %s\n" % (inv["id"], line_of[inv["id"]], what))
    out.write("\n## Témoins (ne doivent rien déclencher)\n\n")
    for inv in invoices:
        if inv["note"]:
            out.write("- facture %s, ligne CSV %d : %s\n" % (inv["id"], line_of[inv["id"]], inv["note"]))

lost = sum(a for _, _, a, k, _ in planted if k == "lost_cents")
risk = sum(a for _, _, a, k, _ in planted if k == "at_risk_cents")
print("%d invoices, %d act lines, %d patients; planted: %d findings, lost %d cents, at risk %d cents"
      % (len(invoices), len(rows) - 1, len(patients), len(planted), lost, risk))
