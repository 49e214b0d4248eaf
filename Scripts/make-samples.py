#!/usr/bin/env python3
"""Writes SampleBatches/: one month (December 2024) of a small health centre, as a French-style
CSV export (Windows-1252, ';', CRLF, decimal comma, DD/MM/YYYY dates, French headers read through
Rules/profiles/export-fr.yaml) and as the contract's XML (UTF-8, ISO dates, dot decimals), with the
practitioner roster and PLANTED.md listing every planted finding, bad row and control.

Deterministic: fixed seed, no clock; the same bytes on every run. Python 3, standard library only.
The expected audit (SampleBatches/expected/) is the tool's output on these files, checked against
PLANTED.md; regenerate it with Scripts/update-expected.sh after a deliberate change.

Tariffs are those of the shipped rule set (Rules/tariffs/*.yaml), metropolitan zone:
G and VG 26,50 EUR until 21/12/2024 and 30,00 EUR from 22/12/2024; MEG 5; MD 10; MU 22,60; MOP 5;
AMI 3,15 x coefficient; AIS 2,65 x coefficient; IFD 2,75; MAU 1,35; DEQP003 (ECG) 14,26 EUR in 2024
(14,52 EUR only from 01/01/2025 in Rules/tariffs/ccam.yaml), cumulating with a G at full rate.
Everything is billed correctly except the planted errors. The centre is closed on Sundays and on
25/12 and consults between 08:30 and 19:00, so no out-of-hours supplement (MHP) is due; every
home nurse visit carries its IFD; every single nurse act AMI 1 carries its MAU (priced since 2012); every G/VG of a patient of 80 or more whose médecin traitant is
not at the centre carries its MOP.
"""
import datetime as dt
import os
import random
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "SampleBatches"))
rng = random.Random(20241231)

# ---------------------------------------------------------------------------- identifiers


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


def rpps(body10):
    """An 11-digit RPPS: 10 digits and the Luhn check digit."""
    assert len(body10) == 10 and body10.isdigit()
    return next(body10 + str(d) for d in range(10) if luhn_ok(body10 + str(d)))


def nir(sex, birth, dept, commune, order):
    """15-character NIR: 13 characters and the key 97 - (n mod 97); 2A counts as 19, 2B as 18."""
    body = "%d%02d%02d%s%03d%03d" % (sex, birth.year % 100, birth.month, dept, commune, order)
    assert len(body) == 13
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return body + "%02d" % (97 - number % 97)


GPS = [
    (rpps("1000345612"), "Dr Claire Martin"),
    (rpps("1000387254"), "Dr Karim Benali"),
    (rpps("1000412983"), "Dr Sophie Lefèvre"),
    (rpps("1000459307"), "Dr Julien Moreau"),
]
NURSE = (rpps("1000521746"), "Élodie Garnier, infirmière")
DEPARTED = (rpps("1000298431"), "Dr Henri Dubois")
GP_IDS = [g[0] for g in GPS]
NAMES = dict(GPS + [NURSE, DEPARTED])


def bad_luhn(valid):
    wrong = valid[:-1] + str((int(valid[-1]) + 3) % 10)
    assert not luhn_ok(wrong)
    return wrong


# ---------------------------------------------------------------------------- calendar, tariffs

NEW_TARIFF = dt.date(2024, 12, 22)
YEAR_END = dt.date(2024, 12, 31)
WORKING_DAYS = [dt.date(2024, 12, d) for d in range(1, 32)
                if dt.date(2024, 12, d).weekday() != 6 and d != 25]   # Monday-Saturday, not Christmas
LATE_DAYS = [d for d in WORKING_DAYS if d >= NEW_TARIFF]

ECG_2024 = 1426      # Rules/tariffs/ccam.yaml, DEQP003 2023-01-01..2024-12-31
MEG, MD, MU, MOP, IFD, AMI, AIS, MAU = 500, 1000, 2260, 500, 275, 315, 265, 135


def g_tariff(day):
    return 2650 if day < NEW_TARIFF else 3000


def age(birth, day):
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def fpmt(p):
    # FPMT 2024 (Rules/tariffs/forfaits.yaml): the two 42 € categories are 46 € since 1 January 2024
    # (règlement arbitral; Le Quotidien du médecin 2024).
    a = age(p.birth, YEAR_END)
    if p.ald:
        return (7000, "80 ans et plus en ALD / 80+ with ALD") if a >= 80 else (4600, "moins de 80 ans en ALD / under 80 with ALD")
    if a >= 80:
        return 4600, "80 ans et plus sans ALD / 80+ without ALD"
    if a < 7:
        return 600, "enfant de 0 à 6 ans / child 0-6"
    return 500, "7 à 79 ans sans ALD / 7-79 without ALD"


# ---------------------------------------------------------------------------- patients

class Patient:
    def __init__(self, index, birth, status, mt, ald, local, corsica, sex):
        self.index = index
        self.birth = birth
        sex = sex or 1 + rng.randrange(2)
        self.sex = "M" if sex == 1 else "F"
        if local:
            self.id = "P%06d" % (123 + local - 1)
        else:
            dept = "2A" if corsica else rng.choice(["75", "92", "93", "94", "69", "13", "59", "33"])
            self.id = nir(sex, birth, dept, 1 + rng.randrange(899), 1 + rng.randrange(999))
        self.status = status
        if status == "centre":
            self.mt = mt or rng.choice(GP_IDS)
        else:
            assert mt is None
            self.mt = ""
        self.ald = ald
        self.days = set()       # days with an invoice: no patient is seen twice on one day


patients = []


def patient(birth, status="centre", mt=None, ald=False, local=0, corsica=False, sex=None):
    p = Patient(len(patients), birth, status, mt, ald, local, corsica, sex)
    patients.append(p)
    return p


def born(years_before_2024, month=None, day=None):
    return dt.date(2024 - years_before_2024, month or 1 + rng.randrange(12), day or 1 + rng.randrange(28))


def regular_status():
    return "centre" if rng.random() < 0.8 else "elsewhere"


adults = [patient(born(rng.randrange(19, 76)), regular_status(), ald=rng.random() < 0.15) for _ in range(28)]
adults.append(patient(dt.date(1979, 6, 14), "centre", corsica=True, sex=1))          # Corsican NIR (2A)
adults += [patient(born(rng.randrange(22, 60)), "centre", local=k) for k in (1, 2, 3)]  # P000123..P000125
children = [patient(born(rng.randrange(1, 6)), "centre") for _ in range(6)]              # under 6 all month
children = [c for c in children if age(c.birth, dt.date(2024, 12, 31)) < 6 and age(c.birth, dt.date(2024, 12, 1)) >= 0]
older_kids = [patient(born(rng.randrange(8, 15)), "centre") for _ in range(3)]
elderly = [patient(born(rng.randrange(82, 94)), s, ald=a)
           for s, a in (("centre", True), ("centre", False), ("elsewhere", False), ("centre", True), ("elsewhere", True))]
nurse_only = [patient(born(rng.randrange(55, 90)), regular_status(), ald=rng.random() < 0.5) for _ in range(4)]

# ---------------------------------------------------------------------------- invoices

invoices = []


def invoice(day, practitioner, p, acts, place="cabinet", specialty="01", note=None, bad=None):
    """acts: list of (code, coefficient text, cents). Returns the invoice (a dict)."""
    assert day not in p.days, "patient seen twice on one day"
    p.days.add(day)
    inv = dict(id=None, day=day, time=None, place=place, practitioner=practitioner, specialty=specialty,
               patient=p, acts=[list(a) for a in acts], note=note, bad=bad, order=len(invoices))
    invoices.append(inv)
    return inv


def free_day(p, days=WORKING_DAYS):
    choices = [d for d in days if d not in p.days]
    return rng.choice(choices)


def gp_acts(p, day, visit=False, ecg=False, mu=False):
    """Correct billing of a GP consultation (G) or home visit (VG) with every supplement due."""
    acts = [("VG" if visit else "G", "1", g_tariff(day))]
    if age(p.birth, day) < 6:
        acts.append(("MEG", "1", MEG))
    if visit:
        acts.append(("MU", "1", MU) if mu else ("MD", "1", MD))
    if age(p.birth, day) >= 80 and p.status != "centre":
        acts.append(("MOP", "1", MOP))
    if ecg:
        acts.append(("DEQP003", "1", ECG_2024))
    return acts


def gp_for(p):
    """Mostly the patient's own médecin traitant when at the centre, else any GP."""
    if p.mt in GP_IDS and rng.random() < 0.75:
        return p.mt
    return rng.choice(GP_IDS)


def nurse_acts(home):
    coefficient = rng.choice([1, 2, 2, 3, 4])
    acts = [("AMI", str(coefficient), AMI * coefficient)]
    if home and rng.random() < 0.4:
        acts.append(("AIS", "3", AIS * 3))
    if len(acts) == 1 and coefficient <= 1.5:
        acts.append(("MAU", "1", MAU))       # a single AMI of coefficient 1.5 at most (NGAP art. 23.1)
    if home:
        acts.append(("IFD", "1", IFD))
    return acts


# Normal, correct billing.
for p in adults:
    for _ in range(rng.randint(3, 8)):
        day = free_day(p)
        roll = rng.random()
        if roll < 0.06:
            invoice(day, gp_for(p), p, gp_acts(p, day, ecg=True))
        elif roll < 0.12:
            invoice(day, gp_for(p), p, gp_acts(p, day), place="tele")
        else:
            invoice(day, gp_for(p), p, gp_acts(p, day))
for p in children:
    for k in range(rng.randint(2, 4)):
        day = free_day(p)
        if k == 0 and p is children[0]:
            invoice(day, gp_for(p), p, gp_acts(p, day, visit=True), place="domicile")
        else:
            invoice(day, gp_for(p), p, gp_acts(p, day))
for p in older_kids:
    for _ in range(2):
        day = free_day(p)
        invoice(day, gp_for(p), p, gp_acts(p, day))
for p in elderly:
    for _ in range(rng.randint(3, 5)):
        day = free_day(p)
        if rng.random() < 0.5:
            invoice(day, gp_for(p), p, gp_acts(p, day, visit=True), place="domicile")
        else:
            invoice(day, gp_for(p), p, gp_acts(p, day))
    for _ in range(rng.randint(3, 6)):
        day = free_day(p)
        invoice(day, NURSE[0], p, nurse_acts(home=True), place="domicile", specialty="24")
for p in nurse_only:
    home = rng.random() < 0.5
    for _ in range(rng.randint(6, 9)):
        day = free_day(p)
        invoice(day, NURSE[0], p, nurse_acts(home), place="domicile" if home else "cabinet", specialty="24")
for p in adults[:6]:     # a few nurse acts at the centre for adults (injections, dressings)
    day = free_day(p)
    invoice(day, NURSE[0], p, [("AMI", "1", AMI), ("MAU", "1", MAU)], specialty="24")

# ---------------------------------------------------------------------------- planted findings

planted = []      # dicts: rule, invoices, code (the act line the finding points at), amount, kind, why, credit
controls = []     # (invoice, why)


def plant(rule, invs, code, amount, why, kind="lost_cents", credit=None):
    planted.append(dict(rule=rule, invoices=invs, code=code, amount=amount, kind=kind, why=why,
                        credit=credit or invs[0]["practitioner"]))


centre_adults = [p for p in adults if p.status == "centre" and not p.id.startswith("P") and age(p.birth, YEAR_END) < 80]
elsewhere_adults = [p for p in adults if p.status == "elsewhere" and age(p.birth, YEAR_END) < 80]

# tariff-below-schedule: four G still billed 26,50 on or after 22/12/2024, one ECG at half rate.
for p in (centre_adults[0], centre_adults[1], elsewhere_adults[0], centre_adults[2]):
    day = free_day(p, LATE_DAYS)
    inv = invoice(day, GP_IDS[1], p, [("G", "1", 2650)])
    plant("tariff-below-schedule", [inv], "G", 350,
          "G facturé 26,50 € le %s ; 30,00 € depuis le 22/12/2024 / G billed at the old tariff after the 22/12/2024 revaluation"
          % day.strftime("%d/%m/%Y"))
p = centre_adults[3]
day = free_day(p, [d for d in WORKING_DAYS if d.day in (9, 10, 11)])
half = ECG_2024 // 2 + ECG_2024 % 2
inv = invoice(day, GP_IDS[2], p, [("G", "1", g_tariff(day)), ("DEQP003", "1", half)])
plant("tariff-below-schedule", [inv], "DEQP003", ECG_2024 - half,
      "ECG DEQP003 facturé à 50 %% (%s €) à côté d'une G : il se cumule à taux plein (14,26 € en 2024) / ECG billed at half rate beside a G"
      % ("%d,%02d" % divmod(half, 100)))

# missing-meg: G/VG of a GP for a child under 6 without MEG.
for p in children[1:3]:
    day = free_day(p)
    inv = invoice(day, GP_IDS[0], p, [("G", "1", g_tariff(day))])
    plant("missing-meg", [inv], "G", MEG, "G sans MEG, enfant de %d ans / G without MEG, child aged %d"
          % (age(p.birth, day), age(p.birth, day)))
almost_six = patient(dt.date(2018, 12, 13), "centre", mt=GP_IDS[3])
inv = invoice(dt.date(2024, 12, 10), GP_IDS[3], almost_six, [("VG", "1", 2650), ("MD", "1", MD)], place="domicile")
plant("missing-meg", [inv], "VG", MEG,
      "VG le 10/12/2024, enfant né le 13/12/2018 : 5 ans (6 ans dans 3 jours), MEG due / child turns 6 three days after the visit")
just_six = patient(dt.date(2018, 12, 7), "centre", mt=GP_IDS[3])
inv = invoice(dt.date(2024, 12, 10), GP_IDS[3], just_six, [("G", "1", 2650)])
controls.append((inv, "G le 10/12/2024 sans MEG, enfant né le 07/12/2018 (6 ans depuis 3 jours) : correct / child turned 6 three days before, no MEG due"))
day = free_day(just_six, [d for d in WORKING_DAYS if d.day >= 16])
invoice(day, GP_IDS[3], just_six, gp_acts(just_six, day))

# missing-md: VG without MD or MU; control: VG with MU.
for p in (elderly[0], elderly[1]):
    day = free_day(p)
    inv = invoice(day, GP_IDS[2], p, [("VG", "1", g_tariff(day))], place="domicile")
    plant("missing-md", [inv], "VG", MD, "VG sans MD ni MU / home visit without MD or MU")
p = elderly[3]
day = free_day(p)
inv = invoice(day, GP_IDS[0], p, gp_acts(p, day, visit=True, mu=True), place="domicile")
controls.append((inv, "VG avec MU et sans MD : correct / home visit with MU instead of MD"))

# missing-mt-declaration: patients without médecin traitant seen on 2 or more GP invoices.
no_mt = [
    patient(dt.date(1988, 3, 9), "none", sex=2),                 # 36 years, no ALD: 5 EUR
    patient(dt.date(1961, 7, 22), "none", ald=True, sex=1),      # 63 years, ALD: 42 EUR
    patient(dt.date(1939, 2, 2), "none", sex=2),                 # 85 years, no ALD: 42 EUR (MOP billed)
]
for p, gps in zip(no_mt, ((0, 0, 1), (2, 3, 2), (1, 1))):
    invs = []
    for g in gps:
        day = free_day(p)
        invs.append(invoice(day, GP_IDS[g], p, gp_acts(p, day)))
    # credited: the GP who saw the patient most (ties: the most recent)
    counts = {}
    for i in invs:
        counts[i["practitioner"]] = counts.get(i["practitioner"], 0) + 1
    credit = max(counts, key=lambda g: (counts[g], max(i["day"] for i in invs if i["practitioner"] == g)))
    amount, category = fpmt(p)
    plant("missing-mt-declaration", invs, "G", amount,
          "sans médecin traitant, vu sur %d factures de généralistes ; FPMT %s, %d ans au 31/12/2024 / no MT declaration, FPMT lost"
          % (len(invs), category, age(p.birth, YEAR_END)), credit=credit)
once = patient(dt.date(1990, 10, 1), "none", sex=1)
day = free_day(once)
inv = invoice(day, GP_IDS[1], once, gp_acts(once, day))
controls.append((inv, "sans médecin traitant mais vu une seule fois : pas de constat / no MT but seen only once"))

# mt-practitioner-departed: declarations attached to the GP who left on 30/11/2024.
for p in (patient(dt.date(1970, 5, 5), "centre", mt=DEPARTED[0], sex=1),
          patient(dt.date(1952, 9, 30), "centre", mt=DEPARTED[0], ald=True, sex=2)):
    invs = []
    for g in (3, 3):
        day = free_day(p)
        invs.append(invoice(day, GP_IDS[g], p, gp_acts(p, day)))
    amount, category = fpmt(p)
    plant("mt-practitioner-departed", invs, "G", amount,
          "médecin traitant déclaré : %s, parti le 30/11/2024 ; FPMT %s / declared MT left the centre"
          % (DEPARTED[1], category), credit=DEPARTED[0])

# meg-over-age: MEG billed for children of 6 or more.
for p in older_kids[:2]:
    day = free_day(p)
    inv = invoice(day, GP_IDS[1], p, [("G", "1", g_tariff(day)), ("MEG", "1", MEG)])
    plant("meg-over-age", [inv], "MEG", MEG, "MEG pour un enfant de %d ans / MEG billed for a child aged %d"
          % (age(p.birth, day), age(p.birth, day)), kind="at_risk_cents")

# Rows to reject, each alone on its invoice, among good rows.
bad_rows = []
p = centre_adults[5]
day = free_day(p, [d for d in WORKING_DAYS if 3 <= d.day <= 6])
bad_rows.append((invoice(day, gp_for(p), p, [("G", "1", 2650)], bad="date"), "act_date",
                 "date impossible « 31/11/2024 » / impossible date"))
p = centre_adults[6]
day = free_day(p, [d for d in WORKING_DAYS if 11 <= d.day <= 14])
bad_rows.append((invoice(day, GP_IDS[0], p, [("G", "1", 2650)], bad="rpps"), "practitioner_id",
                 "RPPS %s : clé de Luhn fausse / wrong Luhn check digit" % bad_luhn(GP_IDS[0])))
p = centre_adults[7]
day = free_day(p, [d for d in WORKING_DAYS if 17 <= d.day <= 20])
bad_rows.append((invoice(day, GP_IDS[2], p, [("G", "1", 2650)], bad="amount"), "amount",
                 "montant « 26,5O » (lettre O) / non-numeric amount"))

# ---------------------------------------------------------------------------- order, times, numbers

invoices.sort(key=lambda inv: (inv["day"], inv["order"]))
by_slot = {}
for inv in invoices:
    by_slot.setdefault((inv["day"], inv["practitioner"]), []).append(inv)
for (day, practitioner), slot in sorted(by_slot.items()):
    office = [i for i in slot if i["place"] != "domicile"]
    home = [i for i in slot if i["place"] == "domicile"]
    minute = 8 * 60 + 30 + 15 * rng.randrange(3)
    for inv in office:                                  # morning and early afternoon at the centre
        inv["time"] = minute
        minute += rng.choice([15, 20, 20, 30])
    minute = max(minute + 30, 14 * 60)
    for inv in home:                                    # home visits in the afternoon
        inv["time"] = minute
        minute += rng.choice([30, 45])
    assert minute <= 19 * 60, (day, practitioner, minute)
invoices.sort(key=lambda inv: (inv["day"], inv["time"], inv["practitioner"], inv["order"]))
for n, inv in enumerate(invoices, 1):
    inv["id"] = "F2024-%05d" % n
    inv["time"] = "%02d:%02d" % divmod(inv["time"], 60)

# ---------------------------------------------------------------------------- writing


def euros(cents, comma):
    text = "%d.%02d" % divmod(cents, 100)
    return text.replace(".", ",") if comma else text


def csv_field(text):
    if any(c in text for c in ';"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


PLACE_FR = {"cabinet": "Cabinet", "domicile": "Domicile", "tele": "Téléconsultation", "ehpad": "EHPAD"}
STATUS_FR = {"centre": "Centre", "elsewhere": "Autre", "none": "Aucun"}
HEADER = ["N° facture", "Date de l'acte", "Heure", "Lieu", "RPPS", "Spécialité", "NIR", "Date de naissance", "Sexe",
          "ALD", "Médecin traitant", "RPPS médecin traitant", "Code acte", "Coefficient", "Quantité", "Modificateurs",
          "Montant", "Commentaire"]

# Free-text comments (a column the profile does not know): one with a quoted ';' and quotes, one
# with a quoted line break, a few plain ones with accents and the euro sign (0x80 in Windows-1252).
def nth_act(n, wanted):
    """Index (in file order) of the n-th act line whose code is in wanted, on a good invoice."""
    index = 0
    for inv in invoices:
        for a in inv["acts"]:
            if a[0] in wanted and not inv["bad"]:
                if n == 0:
                    return index
                n -= 1
            index += 1
    raise ValueError(wanted)


COMMENTS = {
    nth_act(2, ("G",)): 'Patient vu entre deux rendez-vous; "retour" prévu',
    nth_act(7, ("G",)): "Rappel :\r\nrésultats d'analyses à transmettre",
    nth_act(20, ("G",)): "Tiers payant intégral, reste à charge 0 €",
    nth_act(40, ("G",)): "Certificat de non contre-indication au sport",
    nth_act(15, ("AMI",)): "Pansement; suite à chute",
}

os.makedirs(os.path.join(ROOT, "csv"), exist_ok=True)
os.makedirs(os.path.join(ROOT, "xml"), exist_ok=True)

rows = [";".join(HEADER)]
line = 2                                   # the header is line 1
xml = ['<?xml version="1.0" encoding="UTF-8"?>',
       '<batch centre="750000001" exported-at="2025-01-02T02:00:00">']
act_index = 0
for inv in invoices:
    p = inv["patient"]
    date_fr, date_iso = inv["day"].strftime("%d/%m/%Y"), inv["day"].isoformat()
    practitioner = inv["practitioner"]
    if inv["bad"] == "date":
        date_fr, date_iso = "31/11/2024", "2024-11-31"
    if inv["bad"] == "rpps":
        practitioner = bad_luhn(practitioner)
    xml.append('  <invoice id="%s" date="%s" time="%s" place="%s" practitioner="%s" specialty="%s">'
               % (inv["id"], date_iso, inv["time"], inv["place"], practitioner, inv["specialty"]))
    xml.append('    <patient id="%s" birth-date="%s" sex="%s" ald="%s" mt-status="%s"%s/>'
               % (p.id, p.birth.isoformat(), p.sex, "true" if p.ald else "false", p.status,
                  ' mt-practitioner="%s"' % p.mt if p.mt else ""))
    for act in inv["acts"]:
        code, coefficient, cents = act
        amount_fr, amount_xml = euros(cents, True), euros(cents, False)
        if inv["bad"] == "amount":
            amount_fr, amount_xml = "26,5O", "26.5O"
        comment = COMMENTS.get(act_index, "")
        fields = [inv["id"], date_fr, inv["time"], PLACE_FR[inv["place"]], practitioner, inv["specialty"], p.id,
                  p.birth.strftime("%d/%m/%Y"), p.sex, "Oui" if p.ald else "Non", STATUS_FR[p.status], p.mt, code,
                  coefficient.replace(".", ","), "1", "", amount_fr, comment]
        text = ";".join(csv_field(f) for f in fields)
        act.append(line)                                  # act[3]: CSV line
        rows.append(text)
        line += 1 + text.count("\r\n")
        xml.append('    <act code="%s" coefficient="%s" quantity="1" modifiers="" amount="%s"/>'
                   % (code, coefficient, amount_xml))
        act.append(len(xml))                              # act[4]: XML line
        act_index += 1
    xml.append("  </invoice>")
xml.append("</batch>")

csv_bytes = ("\r\n".join(rows) + "\r\n").encode("cp1252")
with open(os.path.join(ROOT, "csv", "decembre-2024.csv"), "wb") as out:
    out.write(csv_bytes)
xml_text = "\n".join(xml) + "\n"
with open(os.path.join(ROOT, "xml", "decembre-2024.xml"), "wb") as out:
    out.write(xml_text.encode("utf-8"))
with open(os.path.join(ROOT, "roster.csv"), "wb") as out:
    text = "practitioner_id;name;specialty;start_date;end_date\n"
    starts = ["2019-09-01", "2016-03-14", "2021-01-04", "2023-06-01"]
    for (number, name), start in zip(GPS, starts):
        text += "%s;%s;01;%s;\n" % (number, name, start)
    text += "%s;%s;24;2020-10-05;\n" % NURSE
    text += "%s;%s;01;2011-02-01;2024-11-30\n" % DEPARTED
    out.write(text.encode("utf-8"))

# ---------------------------------------------------------------------------- self-checks

decoded = csv_bytes.decode("cp1252")
assert "Téléconsultation" in decoded and "N° facture" in decoded
ET.fromstring(xml_text.encode("utf-8"))


def finding_line(item):
    """The act line a finding points at: the flagged code on the (last, for MT rules) invoice."""
    invs = item["invoices"]
    if item["rule"] == "missing-mt-declaration":       # latest invoice of the credited GP
        invs = [i for i in invs if i["practitioner"] == item["credit"]] or invs
        invs = [max(invs, key=lambda i: (i["day"], i["time"]))]
    elif item["rule"] == "mt-practitioner-departed":   # first act after the departure
        invs = [min(invs, key=lambda i: (i["day"], i["time"]))]
    act = next(a for a in invs[0]["acts"] if a[0] == item["code"])
    return invs[0], act


for p in patients:
    if p.status == "centre":
        assert p.mt in GP_IDS or p.mt == DEPARTED[0]
n_acts = sum(len(inv["acts"]) for inv in invoices)
assert n_acts == len(rows) - 1
seen_patients = {inv["patient"].id for inv in invoices}

# ---------------------------------------------------------------------------- PLANTED.md


def cents_text(cents):
    return "%d,%02d €" % divmod(cents, 100)


def inv_lines(inv, which):
    return ", ".join(str(a[3 if which == "csv" else 4]) for a in inv["acts"])


lost = sum(item["amount"] for item in planted if item["kind"] == "lost_cents")
risk = sum(item["amount"] for item in planted if item["kind"] == "at_risk_cents")
by_rule = {}
for item in planted:
    key = (item["rule"], item["kind"])
    n, total = by_rule.get(key, (0, 0))
    by_rule[key] = (n + 1, total + item["amount"])

out = []
out.append("# Constats plantés — échantillon de décembre 2024 / Planted findings — December 2024 sample\n")
out.append("Généré par `Scripts/make-samples.py` (déterministe). Fichiers : `csv/decembre-2024.csv` "
           "(Windows-1252, `;`, CRLF, profil `export-fr`), `xml/decembre-2024.xml` (mêmes factures, mêmes actes), "
           "`roster.csv`. Tout le reste de la facturation est correct au regard du jeu de règles livré "
           "(`Rules/`). / Generated by `Scripts/make-samples.py` (deterministic). Everything else is billed "
           "correctly under the shipped rule set.\n")
out.append("Audit : `cotaudit audit SampleBatches/csv --profile export-fr --roster SampleBatches/roster.csv`\n")
out.append("Contenu / contents: %d factures / invoices, %d lignes d'actes / act lines, %d patients, "
           "5 praticiens actifs / active practitioners (4 généralistes `01`, 1 infirmière `24`) "
           "+ 1 généraliste parti le 30/11/2024 / GP who left on 2024-11-30 (%s, %s).\n"
           % (len(invoices), n_acts, len(seen_patients), DEPARTED[1], DEPARTED[0]))
out.append("Tarifs utilisés / tariffs used (cents): G/VG 2650 jusqu'au 21/12/2024, 3000 dès le 22/12/2024 ; "
           "MEG 500 ; MD 1000 ; MU 2260 ; MOP 500 ; AMI 315 × coef. ; AIS 265 × coef. ; IFD 275 ; MAU 135 ; "
           "DEQP003 (ECG) %d en 2024 (`Rules/tariffs/ccam.yaml` : 1452 seulement à partir du 01/01/2025), "
           "cumulable à taux plein avec une G ; forfait médecin traitant 2024 (FPMT) : 600 / 500 / 4600 / 4600 / 7000.\n" % ECG_2024)
out.append("\nChangements dus à la revue 2026 (issue 7) / changes from the 2026 review (issue 7): la MAU est tarifée "
           "depuis le 27/05/2012 (et non plus seulement en 2025) : chaque séance infirmière d'un seul AMI 1 porte "
           "désormais sa MAU (1,35 €), sinon `missing-mau` la signalerait ; `missing-md` est `likely` (l'export ne dit "
           "pas si la visite était justifiée), ses constats gardent leur montant. / MAU is priced since 27/05/2012, so "
           "every single-AMI 1 nurse session now carries its MAU; `missing-md` is `likely`, same amounts.\n")
out.append("\n## Constats / findings\n")
out.append("`ligne` = ligne physique (1 = en-tête) de l'acte visé par le constat ; pour les règles de médecin "
           "traitant : `missing-mt-declaration`, la dernière facture du généraliste crédité ; "
           "`mt-practitioner-departed`, la première facture après le départ. Toutes les factures du patient sont listées. / "
           "`line` = the physical line of the act the finding points at: for `missing-mt-declaration` the latest "
           "invoice of the credited GP, for `mt-practitioner-departed` the patient's first invoice after the "
           "departure. All of the patient's invoices are listed.\n")
out.append("| # | règle / rule | facture / invoice | ligne CSV / CSV line | ligne XML / XML line | code | praticien crédité / credited | lost_cents | at_risk_cents | pourquoi / why |")
out.append("| --- | --- | --- | --- | --- | --- | --- | ---: | ---: | --- |")
for n, item in enumerate(planted, 1):
    inv, act = finding_line(item)
    others = [i["id"] for i in sorted(item["invoices"], key=lambda i: i["id"]) if i is not inv]
    inv_text = inv["id"] + (" (+ %s)" % ", ".join(others) if others else "")
    out.append("| %d | `%s` | %s | %d | %d | %s | %s | %s | %s | %s |" % (
        n, item["rule"], inv_text, act[3], act[4], item["code"], item["credit"],
        item["amount"] if item["kind"] == "lost_cents" else 0,
        item["amount"] if item["kind"] == "at_risk_cents" else 0, item["why"]))
out.append("\n## Totaux / totals\n")
out.append("| règle / rule | constats / findings | lost_cents | at_risk_cents |")
out.append("| --- | ---: | ---: | ---: |")
for (rule, kind), (n, total) in by_rule.items():
    out.append("| `%s` | %d | %s | %s |" % (rule, n, total if kind == "lost_cents" else 0, total if kind == "at_risk_cents" else 0))
out.append("| **total** | **%d** | **%d** | **%d** |" % (len(planted), lost, risk))
# Opportunities the `possible` rules of the 2026 review point at in this otherwise correct month: a VG
# for a patient of 80 or more in ALD whose médecin traitant is at the centre (VL, 60 EUR, once a quarter),
# a G for a patient in ALD without médecin traitant (IMT, 60 EUR, if the doctor becomes the MT).
# They are not billing errors: a person confirms each one.
VL_VALUE, IMT_VALUE = 6000, 6000
rejected_ids = {inv["id"] for inv, _, _ in bad_rows}
possible = []
for inv in invoices:
    if inv["id"] in rejected_ids or inv["specialty"] != "01":
        continue
    p = inv["patient"]
    first = inv["acts"][0]
    if first[0] == "VG" and age(p.birth, inv["day"]) >= 80 and p.ald and p.status == "centre":
        possible.append(("vl-instead-of-vg", inv, first, VL_VALUE - first[2], "VG pour un patient de %d ans en ALD "
                         "suivi au centre : VL possible une fois par trimestre / VL possible" % age(p.birth, inv["day"])))
    if first[0] == "G" and p.ald and p.status == "none":
        possible.append(("imt-instead-of-g", inv, first, IMT_VALUE - first[2], "G pour un patient en ALD sans médecin "
                         "traitant : IMT si le médecin devient son médecin traitant / IMT if the doctor becomes the MT"))
possible_total = sum(item[3] for item in possible)
out.append("\nAudit attendu / expected audit (CSV or XML alone, with the roster): invoices %d, acts %d "
           "(the 3 rejected rows excluded), rejected_lines %d, findings %d (+ %d `possible` below), lost_cents %d, "
           "at_risk_cents %d, possible_cents %d. CSV warnings: Windows-1252 detected; unknown column `Commentaire`.\n"
           % (len(invoices) - len(bad_rows), n_acts - len(bad_rows), len(bad_rows), len(planted), len(possible),
              lost, risk, possible_total))
out.append("\n## Possibilités à confirmer / opportunities to confirm (`possible`, issue 7)\n")
out.append("Pas des erreurs : des actes mieux valorisés que la facturation, correcte, permettrait si les conditions "
           "(que l'export ne porte pas) sont remplies. Comptés à part (`possible_cents`). / Not billing errors: better-paid "
           "acts a person should confirm; counted apart.\n")
out.append("| règle / rule | facture / invoice | ligne CSV / CSV line | code | possible_cents | pourquoi / why |")
out.append("| --- | --- | ---: | --- | ---: | --- |")
for rule, inv, act, cents, why in possible:
    out.append("| `%s` | %s | %d | %s | %d | %s |" % (rule, inv["id"], act[3], act[0], cents, why))
out.append("\n## Lignes à rejeter / rows to reject (`input_errors`, `summary.rejected_lines` = %d)\n" % len(bad_rows))
out.append("| facture / invoice | ligne CSV / CSV line | ligne XML / XML line | colonne / column | pourquoi / why |")
out.append("| --- | ---: | ---: | --- | --- |")
for inv, column, why in bad_rows:
    out.append("| %s | %d | %d | `%s` | %s |" % (inv["id"], inv["acts"][0][3], inv["acts"][0][4], column, why))
out.append("\n## Témoins (ne déclenchent rien) / controls (must not fire)\n")
out.append("| facture / invoice | ligne CSV / CSV line | pourquoi / why |")
out.append("| --- | ---: | --- |")
for inv, why in controls:
    out.append("| %s | %s | %s |" % (inv["id"], inv_lines(inv, "csv"), why))
out.append("\n## Pièges de lecture / reading traps\n")
trap_lines = {}
for inv in invoices:
    for a in inv["acts"]:
        trap_lines.setdefault(a[3], a)
comment_lines = []
act_index = 0
for inv in invoices:
    for a in inv["acts"]:
        if act_index in COMMENTS:
            comment_lines.append((a[3], COMMENTS[act_index]))
        act_index += 1
out.append("- Colonne inconnue `Commentaire` (ignorée, avec un avertissement) / unknown column, ignored with a warning:")
for ln, text in comment_lines:
    out.append("  - ligne %d : %s" % (ln, text.replace("\r\n", " ⏎ ").replace("|", "/")))
corsican = next(p for p in patients if p.id[5:7] == "2A")
out.append("- NIR corse / Corsican NIR `%s` (2A compte pour 19 dans la clé / 2A counts as 19 in the key)." % corsican.id)
out.append("- Numéros patients locaux / local patient numbers: %s."
           % ", ".join("`%s`" % p.id for p in patients if p.id.startswith("P")))
out.append("- En-têtes et valeurs accentués en Windows-1252 (`N° facture`, `Spécialité`, `Téléconsultation`, `€`).")
mt_lost = sum(total for (rule, kind), (n, total) in by_rule.items()
              if rule in ("missing-mt-declaration", "mt-practitioner-departed") and kind == "lost_cents")
out.append("\n## Valeurs modifiées / value changes\n")
out.append("- Issue 7 (revue de 2026) : le forfait patientèle médecin traitant de 2024 est de 46 € (et non 42 €) pour "
           "un patient de moins de 80 ans en ALD et pour un patient de 80 ans et plus sans ALD (règlement arbitral, "
           "01/01/2024 ; `Rules/tariffs/forfaits.yaml`). Constats 12, 13 et 15 : 4200 → 4600 chacun ; "
           "`missing-mt-declaration` 8900 → 9700, `mt-practitioner-departed` 4700 → 5100, total lost_cents "
           "19213 → 20413. / The 2024 FPMT is 46 € for the two former 42 € categories: findings 12, 13 and 15 "
           "move from 4200 to 4600 each.")
out.append("- Issue 7 : deux sortes d'argent. Sur les %d cents de manque à gagner, %d sont « à refacturer » "
           "(erreurs de facturation : `rebill_cents`) et %d « à obtenir » (forfaits médecin traitant : "
           "`obtain_cents`) ; « encore facturable » (`recoverable_cents`, `recoverable_lost_cents`) ne compte que "
           "les premiers : 20413 → %d. / Lost money split into re-billable errors and médecin traitant forfaits "
           "to obtain by a declaration; the recoverable figure counts the re-billable ones only."
           % (lost, lost - mt_lost, mt_lost, lost - mt_lost))
with open(os.path.join(ROOT, "PLANTED.md"), "wb") as f:
    f.write(("\n".join(out) + "\n").encode("utf-8"))

# ---------------------------------------------------------------------------- summary

print("SampleBatches written: %d invoices, %d act lines (%d CSV physical lines), %d patients, %d practitioners billing"
      % (len(invoices), n_acts, line - 1, len(seen_patients), len({inv["practitioner"] for inv in invoices})))
for (rule, kind), (n, total) in by_rule.items():
    print("  %-26s %d finding(s), %s %d" % (rule, n, kind, total))
print("planted: %d findings, lost %d cents (%s), at risk %d cents (%s); %d rows to reject; %d controls"
      % (len(planted), lost, cents_text(lost), risk, cents_text(risk), len(bad_rows), len(controls)))
