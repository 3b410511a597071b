"""What the demo data is made of: who buys how much, what IT goods each lot holds at what price,
where it goes and who records it. Plain tables, no logic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Product:
    """A catalogue or requirement item of a lot, priced in USD around the middle of the span."""

    sku: str
    description: str
    unspsc: str
    unit: str
    usd: int
    qty: tuple[int, int]  # usual quantity on one order line


#: Agencies by procurement volume, largest first (Zipf-weighted in that order); agencies of the
#: table that are missing here come last.
AGENCY_RANK = (
    "UNDP", "UNICEF", "UNFPA", "UNOPS", "UNHCR", "WFP", "WHO", "UNSECRETARIAT", "FAO", "IOM",
    "UN-WOMEN", "UNRWA", "ILO", "UNESCO", "UNEP", "UNODC", "IAEA", "UN-HABITAT", "UNIDO", "IFAD",
    "ITU", "WIPO", "UNAIDS", "UNICC", "ICAO", "WMO", "IMO", "ITC", "UNFCCC", "UNU", "UPU",
    "UNWTO", "OPCW", "CTBTO",
)  # fmt: skip

#: Each agency's ordering offices: (currency of their sub-LTAs, share of the agency's orders).
OFFICES: dict[str, tuple[tuple[str, float], ...]] = {
    "UNDP": (("USD", .58), ("EUR", .20), ("INR", .04), ("KES", .03), ("BDT", .04), ("XOF", .04),
             ("JPY", .04), ("KWD", .03)),
    "UNICEF": (("USD", .56), ("DKK", .12), ("EUR", .18), ("KES", .05), ("BDT", .05), ("XOF", .04)),
    "UNFPA": (("USD", .60), ("DKK", .10), ("EUR", .20), ("BDT", .05), ("INR", .05)),
    "UNOPS": (("USD", .60), ("DKK", .10), ("EUR", .25), ("KES", .05)),
    "UNHCR": (("USD", .65), ("CHF", .12), ("EUR", .23)),
    "WFP": (("USD", .60), ("EUR", .35), ("KES", .05)),
    "WHO": (("USD", .62), ("CHF", .18), ("EUR", .20)),
    "UNSECRETARIAT": (("USD", .85), ("CHF", .10), ("KES", .05)),
    "FAO": (("USD", .45), ("EUR", .55)),
    "IOM": (("USD", .65), ("CHF", .15), ("EUR", .20)),
    "UNRWA": (("USD", .70), ("EUR", .30)),
    "ILO": (("USD", .60), ("CHF", .40)),
    "UNESCO": (("EUR", .70), ("USD", .30)),
    "UNEP": (("KES", .30), ("USD", .70)),
    "UNODC": (("EUR", .70), ("USD", .30)),
    "UN-HABITAT": (("KES", .40), ("USD", .60)),
    "IFAD": (("EUR", .70), ("USD", .30)),
    "UNAIDS": (("CHF", .50), ("USD", .50)),
    "UNICC": (("CHF", .40), ("USD", .60)),
    "UNU": (("JPY", .60), ("USD", .40)),
    "IMO": (("GBP", .70), ("USD", .30)),
    "IAEA": (("EUR", 1.0),), "UNIDO": (("EUR", 1.0),), "UNFCCC": (("EUR", 1.0),),
    "UNWTO": (("EUR", 1.0),), "OPCW": (("EUR", 1.0),), "CTBTO": (("EUR", 1.0),),
    "ITU": (("CHF", .6), ("USD", .4)), "WIPO": (("CHF", .6), ("USD", .4)),
    "WMO": (("CHF", .6), ("USD", .4)), "ITC": (("CHF", .5), ("USD", .5)),
    "UPU": (("CHF", .6), ("USD", .4)),
}  # fmt: skip
DEFAULT_OFFICES = (("USD", 1.0),)

#: Where an agency's headquarters sit: a share of its orders go there.
HEADQUARTERS = {
    "UNDP": "US", "UNICEF": "DK", "UNFPA": "US", "UNOPS": "DK", "UNHCR": "CH", "WFP": "IT",
    "WHO": "CH", "UNSECRETARIAT": "US", "FAO": "IT", "IOM": "CH", "UN-WOMEN": "US", "UNRWA": "JO",
    "ILO": "CH", "UNESCO": "FR", "UNEP": "KE", "UNODC": "AT", "IAEA": "AT", "UN-HABITAT": "KE",
    "UNIDO": "AT", "IFAD": "IT", "ITU": "CH", "WIPO": "CH", "UNAIDS": "CH", "UNICC": "CH",
    "ICAO": "CA", "WMO": "CH", "IMO": "GB", "ITC": "CH", "UNFCCC": "DE", "UNU": "JP", "UPU": "CH",
    "UNWTO": "ES", "OPCW": "NL", "CTBTO": "AT",
}  # fmt: skip

#: Programme countries (ISO 3166 alpha-2) field orders go to, with their weight.
DESTINATIONS = (
    ("KE", 8), ("ET", 6), ("BD", 6), ("SD", 5), ("AF", 5), ("NG", 5), ("CD", 5), ("UA", 5),
    ("SS", 4), ("SO", 4), ("HT", 4), ("YE", 4), ("PK", 4), ("UG", 4), ("MM", 3), ("SY", 3),
    ("LB", 3), ("JO", 3), ("CO", 3), ("ML", 3), ("NE", 3), ("BF", 3), ("MZ", 3), ("TZ", 3),
    ("SN", 3), ("CI", 3), ("TR", 2), ("VE", 2), ("CF", 2), ("TD", 2), ("ZW", 2), ("MW", 2),
    ("IQ", 2), ("PS", 2), ("KH", 2), ("NP", 2), ("PH", 2), ("ID", 2), ("IN", 2), ("BJ", 1),
    ("TG", 1), ("LY", 1), ("GT", 1), ("HN", 1), ("PE", 1),
)  # fmt: skip

#: Local currencies and the countries an order in them goes to (an office paying in its local
#: currency buys for its own country; XOF is the West African CFA franc). Orders in USD or EUR
#: go anywhere.
CURRENCY_COUNTRIES: dict[str, tuple[str, ...]] = {
    "XOF": ("SN", "CI", "ML", "BF", "NE", "BJ", "TG"),
    "KES": ("KE",), "BDT": ("BD",), "INR": ("IN",), "JPY": ("JP",), "KWD": ("KW",),
    "DKK": ("DK",), "CHF": ("CH",), "GBP": ("GB",),
}  # fmt: skip
#: Agencies with country offices: most of their USD/EUR orders go to programme countries.
FIELD_AGENCIES = frozenset({
    "UNDP", "UNICEF", "UNFPA", "UNOPS", "UNHCR", "WFP", "WHO", "UNSECRETARIAT", "FAO", "IOM",
    "UN-WOMEN", "UNRWA", "ILO", "UNESCO", "UNODC", "UN-HABITAT", "UNAIDS", "UNEP", "IFAD",
})  # fmt: skip
#: Share of a field agency's USD/EUR orders bought for its headquarters; other agencies buy
#: mostly for their headquarters.
FIELD_HQ_SHARE = 0.08
HQ_SHARE = 0.85
#: Agencies that work in a few countries only.
FIELD_COUNTRIES = {"UNRWA": ("JO", "LB", "SY", "PS")}

#: Consolidators by code: order weight (about 4:3:2:1) and how well they perform (1–4 scale).
HOLDER_WEIGHT = {"CONS-A": 4.0, "CONS-B": 3.0, "CONS-C": 2.0, "CONS-D": 1.0}
HOLDER_QUALITY = {"CONS-A": 3.4, "CONS-B": 3.1, "CONS-C": 2.9, "CONS-D": 2.6}

#: Currencies each consolidator quotes offers in, with their odds.
OFFER_CURRENCIES = {
    "CONS-A": (("USD", 0.55), ("EUR", 0.45)),
    "CONS-B": (("USD", 0.50), ("EUR", 0.30), ("DKK", 0.20)),
    "CONS-C": (("USD", 0.85), ("EUR", 0.15)),
    "CONS-D": (("USD", 1.0),),
}

#: Share of orders per lot number.
LOT_WEIGHT = {1: 0.20, 2: 0.36, 3: 0.12, 4: 0.17, 5: 0.15}

#: ORE path per currency: (month, units per USD) points followed loosely, monthly volatility,
#: chance of a mid-month revision, decimals published.
ORE_PATHS: dict[str, tuple[tuple[tuple[date, float], ...], float, float, int]] = {
    "EUR": (((date(2020, 6, 1), .89), (date(2021, 6, 1), .82), (date(2022, 10, 1), 1.02),
             (date(2023, 7, 1), .91), (date(2024, 10, 1), .91), (date(2025, 1, 1), .962),
             (date(2025, 7, 1), .86), (date(2028, 1, 1), .86)), .010, .04, 4),
    "GBP": (((date(2020, 6, 1), .80), (date(2021, 6, 1), .71), (date(2022, 10, 1), .90),
             (date(2023, 7, 1), .79), (date(2024, 10, 1), .77), (date(2025, 1, 1), .80),
             (date(2025, 7, 1), .735), (date(2028, 1, 1), .75)), .010, .04, 4),
    "CHF": (((date(2020, 6, 1), .96), (date(2021, 6, 1), .90), (date(2022, 10, 1), .99),
             (date(2023, 7, 1), .89), (date(2024, 10, 1), .86), (date(2025, 1, 1), .905),
             (date(2025, 7, 1), .80), (date(2028, 1, 1), .80)), .010, .03, 4),
    "JPY": (((date(2020, 6, 1), 108.), (date(2021, 6, 1), 110.), (date(2022, 10, 1), 147.),
             (date(2023, 7, 1), 141.), (date(2024, 7, 1), 160.), (date(2025, 1, 1), 157.),
             (date(2025, 7, 1), 144.), (date(2026, 1, 1), 152.), (date(2028, 1, 1), 150.)),
            .016, .10, 2),
    "KES": (((date(2020, 6, 1), 106.), (date(2021, 6, 1), 108.), (date(2022, 10, 1), 121.),
             (date(2023, 7, 1), 141.), (date(2024, 2, 1), 160.), (date(2024, 6, 1), 129.),
             (date(2028, 1, 1), 129.3)), .010, .08, 2),
    "BDT": (((date(2020, 6, 1), 84.8), (date(2021, 6, 1), 85.), (date(2022, 10, 1), 101.),
             (date(2023, 7, 1), 108.5), (date(2024, 7, 1), 117.5), (date(2025, 1, 1), 121.5),
             (date(2028, 1, 1), 122.5)), .005, .03, 2),
    "KWD": (((date(2020, 6, 1), .308), (date(2021, 6, 1), .301), (date(2022, 10, 1), .31),
             (date(2025, 1, 1), .308), (date(2028, 1, 1), .306)), .0015, .0, 4),
    "INR": (((date(2020, 6, 1), 75.5), (date(2021, 6, 1), 73.), (date(2022, 10, 1), 82.),
             (date(2023, 7, 1), 82.3), (date(2024, 10, 1), 84.), (date(2025, 1, 1), 85.8),
             (date(2025, 10, 1), 88.7), (date(2028, 1, 1), 89.)), .005, .04, 3),
}  # fmt: skip
#: Currencies pegged to the euro: units per euro and how far the ORE strays from the peg.
EURO_PEGS = {"XOF": (655.957, 0.0, 3), "DKK": (7.4604, 0.001, 4)}

#: Focal points, reviewers and Working Group members.
PEOPLE = (
    "Amina Okafor", "Lars Nielsen", "Priya Raman", "Jean-Baptiste Mbeki", "Sofia Marquez",
    "Kenji Watanabe", "Fatima Al-Sayed", "Olga Kovalenko", "Daniel Mensah", "Maria Rossi",
    "Ahmed Hassan", "Ingrid Johansson", "Carlos Herrera", "Aisha Bello", "Tomasz Nowak",
    "Mei Lin", "Samuel Otieno", "Claire Dubois", "Rahul Mehta", "Nadia Haddad",
    "Peter Schmidt", "Grace Mwangi", "Luis Fernandez", "Yuki Tanaka", "Emmanuel Ndlovu",
    "Sara Lindqvist", "Omar Farouk", "Ana Souza", "David Cohen", "Leila Karimi",
    "Henrik Madsen", "Chiara Bianchi", "Kwame Asante", "Elena Petrova", "Miguel Torres",
    "Hana Kobayashi", "Ibrahim Diallo", "Anna Muller", "Rania Khalil", "Joseph Kamau",
    "Isabel Garcia", "Arjun Nair", "Zainab Yusuf", "Mikkel Jensen", "Lucia Moreno",
    "Tariq Mahmood", "Eva Novak", "Thabo Dlamini", "Noor Rahman", "Francesca Conti",
    "Abebe Tadesse", "Sophie Laurent", "Vikram Singh", "Marta Kowalska", "Patrick O'Brien",
    "Mariam Sow", "Jonas Berg", "Camila Rojas", "Hiroshi Sato", "Esther Wanjiru",
)  # fmt: skip

#: Each lot's goods: sku | description | UNSPSC | unit | USD price | usual quantity per line.
_PRODUCT_TABLE = {
    1: """
SW24P   | Switch 24-port GbE PoE+ managed, 4x SFP+ | 43222612 | each | 1450 | 1-8
SW48    | Switch 48-port GbE managed, 4x 10G SFP+ | 43222612 | each | 2890 | 1-8
SWCORE  | Core switch 32-port 100GbE QSFP28, redundant PSU | 43222612 | each | 18500 | 1-2
RTBR    | Branch router 4x GbE, SD-WAN licence 3 years | 43222609 | each | 1850 | 1-6
AP6     | Wireless access point Wi-Fi 6, indoor, PoE | 43222631 | each | 450 | 1-20
AP6O    | Wireless access point Wi-Fi 6, outdoor IP67 | 43222631 | each | 1100 | 1-10
FW1G    | Next-generation firewall, 1 Gbps threat protection | 43222501 | each | 3200 | 1-4
FW10G   | Next-generation firewall, 10 Gbps, HA pair | 43222501 | pair | 24500 | 1-2
SRV1U   | Rack server 1U, 2x Xeon Silver 16-core, 256GB RAM | 43211501 | each | 9800 | 1-4
SRV2U   | Rack server 2U, 2x Xeon Gold, 512GB RAM, 8x 1.92TB SSD | 43211501 | each | 21500 | 1-3
SRVHD   | High-density server node, 2x EPYC 64-core, 1TB RAM | 43211502 | each | 28000 | 1-2
SAN24   | SAN switch 24-port 32Gb Fibre Channel | 43222615 | each | 7400 | 1-2
NAS     | Storage array 24x 3.84TB NVMe, dual controller | 43201800 | each | 46000 | 1-1
HDD24   | Hard drive 2.4TB SAS 10k, hot-plug | 43201803 | each | 310 | 2-12
NIC25   | Network interface card dual-port 25GbE SFP28 | 43201404 | each | 420 | 1-8
PSU750  | Replacement power supply 750W hot-plug | 43202200 | each | 260 | 1-6
UPS3    | UPS 3 kVA online double conversion, rack-mount | 39121011 | each | 2100 | 1-6
UPS10   | UPS 10 kVA online, with battery extension | 39121011 | each | 6900 | 1-2
RACK42  | Rack cabinet 42U 800x1000 with 2 PDUs | 24102001 | each | 1650 | 1-3
SFP10   | SFP+ transceiver 10G SR multimode | 43221800 | each | 85 | 2-24
""",
    2: """
NB14I5  | Laptop 14" i5 16GB/512GB SSD, Windows 11 Pro | 43211503 | each | 980 | 2-30
NB14I7  | Laptop 14" i7 32GB/1TB SSD, Windows 11 Pro | 43211503 | each | 1450 | 1-15
NB15R   | Rugged laptop 15.6" i5 16GB/512GB, MIL-STD | 43211503 | each | 2650 | 1-8
NB13LTE | Ultrabook 13" i7 16GB/512GB, 4G LTE | 43211503 | each | 1680 | 1-10
WS16    | Mobile workstation 16" i9 64GB/2TB, RTX A2000 | 43211503 | each | 3400 | 1-4
DTSFF   | Desktop SFF i5 16GB/512GB SSD, Windows 11 Pro | 43211507 | each | 760 | 2-25
AIO24   | All-in-one desktop 24" i5 16GB/512GB | 43211507 | each | 1100 | 1-12
TAB11   | Tablet 11" 128GB Wi-Fi + LTE | 43211509 | each | 620 | 2-40
TAB10R  | Rugged tablet 10" 8GB/128GB, IP65, for data collection | 43211509 | each | 1350 | 2-100
MON24   | Monitor 24" FHD IPS, height-adjustable | 43211902 | each | 165 | 2-40
MON27   | Monitor 27" QHD, USB-C 65W | 43211902 | each | 310 | 1-20
MON34   | Monitor 34" ultrawide curved, USB-C | 43211902 | each | 520 | 1-6
DOCK    | Docking station USB-C, 100W, dual display | 43211602 | each | 185 | 2-30
KBD     | Keyboard wireless, international English layout | 43211706 | each | 28 | 2-80
MOUSE   | Mouse wireless optical | 43211708 | each | 14 | 2-100
BAG15   | Laptop backpack 15.6", water-resistant | 43211600 | each | 38 | 2-50
PH61    | Smartphone 6.1" 128GB, dual SIM, unlocked | 43191501 | each | 420 | 2-30
PH67    | Smartphone 6.7" 256GB, unlocked | 43191501 | each | 890 | 1-10
PHCASE  | Rugged phone case with screen protector | 43191600 | each | 24 | 2-60
CAM1080 | Webcam 1080p with privacy shutter | 43211700 | each | 65 | 2-30
""",
    3: """
TV65    | Display panel 65" 4K, commercial grade, 16/7 | 52161505 | each | 1350 | 1-8
TV86T   | Interactive display 86" 4K touch, with OPS PC | 52161505 | each | 4200 | 1-4
TV55    | Display panel 55" 4K, wall-mount kit | 52161505 | each | 780 | 1-12
PRJ5K   | Laser projector 5000 lm WUXGA | 45111609 | each | 2900 | 1-4
VCBAR   | Video-conference bar 4K, for small rooms | 45111902 | each | 1450 | 1-10
VCKIT   | Video-conference kit, large rooms, PTZ camera, mic array | 45111902 | set | 6800 | 1-4
PTZ20   | PTZ camera 20x zoom, NDI/HDMI/SDI | 45121506 | each | 2100 | 1-6
CAMC4K  | Camcorder 4K, 20x optical zoom | 45121516 | each | 1200 | 1-4
DSLR    | Mirrorless camera kit 24MP, 24-105mm lens | 45121504 | each | 2400 | 1-4
MICSYS  | Conference microphone system, 20 delegate units | 45111700 | set | 5200 | 1-2
SIS6    | Simultaneous interpretation system, 6 ch., 100 receivers | 45111700 | set | 14500 | 1-1
BOOTH   | Interpreter console, 6 channels, for booth | 45111700 | each | 1600 | 2-8
SPKPH   | Speakerphone USB/Bluetooth, 360-degree microphones | 43221522 | each | 240 | 2-15
PA500   | Public address system, 2x 250W speakers and mixer | 45111705 | set | 1800 | 1-3
WPS4    | Wireless presentation system, 4 transmitters | 45111800 | set | 1100 | 1-6
""",
    4: """
LJMONO  | Laser printer A4 mono, 40 ppm, duplex, network | 43212105 | each | 380 | 1-12
LJCOL   | Laser printer A4 colour, 30 ppm, duplex, network | 43212105 | each | 620 | 1-8
MFPA3   | Multifunction printer A3 colour, 35 ppm | 43212110 | each | 3900 | 1-5
MFPA4   | Multifunction printer A4 mono, 45 ppm | 43212110 | each | 780 | 1-8
INKPORT | Portable inkjet printer, battery-powered | 43212104 | each | 310 | 1-10
SCNA4   | Document scanner A4, 60 ppm duplex | 43211711 | each | 890 | 1-10
SCNA3   | Flatbed scanner A3, 1200 dpi | 43211711 | each | 1400 | 1-4
TNRBK   | Toner cartridge black, high yield (40 ppm mono) | 44103103 | each | 115 | 2-60
TNRCMY  | Toner cartridge set CMYK (A4 colour) | 44103103 | set | 420 | 2-20
INKSET  | Ink cartridge set, 4 colours | 44103105 | set | 65 | 5-40
DRUM    | Imaging drum unit (A3 multifunction) | 44103100 | each | 240 | 1-12
TRAY550 | Paper tray 550 sheets | 44101700 | each | 180 | 1-10
ROLLER  | Scanner roller replacement kit | 44102200 | each | 55 | 1-20
COPIER  | Photocopier A3 multifunction, 55 ppm, with finisher | 44101501 | each | 7800 | 1-2
""",
    5: """
M365E3  | Microsoft 365 E3 licence, 12 months | 43231513 | user-year | 430 | 5-250
EDR     | Endpoint detection and response licence, 12 months | 43233205 | device-year | 48 | 10-400
VPNSUB  | Firewall and VPN security subscription, 12 months | 43233200 | year | 2600 | 1-6
WINSRV  | Windows Server Datacenter licence, 16 cores | 43233004 | each | 6200 | 1-4
VIRT    | Virtualisation platform licence, per core, 12 months | 43233000 | core-year | 190 | 8-128
BACKUP  | Backup and recovery software, per TB, 12 months | 43233400 | TB-year | 310 | 2-50
NMS100  | Network management platform, 100 devices, 12 months | 43232800 | year | 4800 | 1-3
GIS     | GIS desktop licence, perpetual | 43231500 | each | 1500 | 1-10
PDFPRO  | PDF editor professional licence, 12 months | 43232100 | user-year | 180 | 2-100
DBCORE  | Relational database licence, per core | 43232300 | core | 2300 | 2-16
PWMGR   | Password manager business, per user, 12 months | 43233200 | user-year | 40 | 10-300
PMSW    | Project management software, per user, 12 months | 43231500 | user-year | 120 | 5-150
MAINT   | Software maintenance and support, 12 months | 81112201 | year | 5400 | 1-3
UPGR    | Software upgrades and patches subscription, 12 months | 81112202 | year | 2100 | 1-3
""",
}


def _products(table: str) -> tuple[Product, ...]:
    out = []
    for row in table.strip().splitlines():
        sku, description, unspsc, unit, usd, qty = (cell.strip() for cell in row.split("|"))
        low, high = qty.split("-")
        out.append(Product(sku, description, unspsc, unit, int(usd), (int(low), int(high))))
    return tuple(out)


PRODUCTS: dict[int, tuple[Product, ...]] = {
    lot: _products(table) for lot, table in _PRODUCT_TABLE.items()
}

#: Lots whose goods travel: they get freight, export licensing and installation lines.
SHIPPED_LOTS = frozenset({1, 2, 3, 4})

#: Chance that an order of each lot carries a line for each service.
SERVICE_ODDS: dict[int, dict[str, float]] = {
    1: {"freight": 0.65, "export_licensing": 0.25, "installation_support": 0.50, "warranty": 0.30},
    2: {"freight": 0.60, "export_licensing": 0.08, "installation_support": 0.15, "warranty": 0.25},
    3: {"freight": 0.60, "export_licensing": 0.05, "installation_support": 0.55, "warranty": 0.20},
    4: {"freight": 0.55, "export_licensing": 0.03, "installation_support": 0.20, "warranty": 0.15},
    5: {"installation_support": 0.20},
}


@dataclass(frozen=True)
class Theme:
    """A competition title and what it asks for: one product of each group (SKUs of the lot)
    and some of the related products; `field`: only for programme countries."""

    title: str
    groups: tuple[tuple[str, ...], ...]
    related: tuple[str, ...]
    field: bool = False


COMPETITION_THEMES: dict[int, tuple[Theme, ...]] = {
    1: (
        Theme("Network upgrade of the {country} country office", (("SW24P", "SW48"),),
              ("RTBR", "AP6", "FW1G", "SFP10", "RACK42", "UPS3", "PSU750"), field=True),
        Theme("Data-centre refresh, {country} hub", (("SRV1U", "SRV2U", "SRVHD"),),
              ("NAS", "SAN24", "HDD24", "NIC25", "PSU750", "UPS10", "RACK42", "SWCORE", "SFP10")),
        Theme("Wi-Fi coverage for field sites in {country}", (("AP6", "AP6O"),),
              ("SW24P", "SFP10", "UPS3", "RTBR"), field=True),
        Theme("Firewalls and switches, {country} offices", (("FW1G", "FW10G"),
              ("SW24P", "SW48", "SWCORE")), ("SFP10", "RTBR", "RACK42")),
    ),
    2: (
        Theme("Laptops and monitors for {country} staff",
              (("NB14I5", "NB14I7", "NB13LTE", "WS16"), ("MON24", "MON27", "MON34")),
              ("DOCK", "KBD", "MOUSE", "BAG15", "CAM1080")),
        Theme("Rugged tablets for data collection in {country}", (("TAB10R",),),
              ("TAB11", "NB15R", "BAG15", "PH61", "PHCASE"), field=True),
        Theme("Desktop refresh, {country} country office", (("DTSFF", "AIO24"),),
              ("MON24", "MON27", "KBD", "MOUSE", "CAM1080"), field=True),
        Theme("Smartphones for {country} field teams", (("PH61", "PH67"),),
              ("PHCASE", "TAB11"), field=True),
    ),
    3: (
        Theme("Video-conference rooms, {country} hub", (("VCBAR", "VCKIT"),),
              ("TV65", "TV55", "TV86T", "SPKPH", "WPS4", "PTZ20")),
        Theme("Interpretation equipment for the {country} conference",
              (("SIS6", "BOOTH", "MICSYS"),), ("SIS6", "BOOTH", "MICSYS", "PA500", "PRJ5K")),
        Theme("Display panels and cameras, {country} office", (("TV65", "TV55", "TV86T"),
              ("PTZ20", "CAMC4K", "DSLR")), ("WPS4", "PRJ5K")),
    ),
    4: (
        Theme("Printers and scanners for {country} field offices",
              (("LJMONO", "LJCOL", "MFPA4", "INKPORT"), ("SCNA4", "SCNA3")),
              ("TNRBK", "TNRCMY", "INKSET", "TRAY550"), field=True),
        Theme("Multifunction printers, {country} office", (("MFPA3", "MFPA4", "COPIER"),),
              ("TNRBK", "TNRCMY", "DRUM", "TRAY550")),
        Theme("Toner and printer supplies, {country}", (("TNRBK", "TNRCMY", "INKSET", "DRUM"),),
              ("TNRBK", "TNRCMY", "INKSET", "DRUM", "ROLLER", "TRAY550")),
    ),
    5: (
        Theme("Endpoint security licences for {country} offices", (("EDR",),),
              ("PWMGR", "VPNSUB", "MAINT")),
        Theme("Productivity licences, {country} staff", (("M365E3", "PDFPRO", "PMSW"),),
              ("M365E3", "PDFPRO", "PMSW", "PWMGR", "GIS")),
        Theme("Backup and virtualisation software, {country} data centre", (("BACKUP",), ("VIRT",)),
              ("WINSRV", "DBCORE", "MAINT", "UPGR")),
    ),
}  # fmt: skip

EXCLUSION_REASONS = (
    "Declared a conflict of interest: affiliated with the implementing partner of the project.",
    "No service coverage in the destination country (confirmed in writing).",
    "Asked not to be invited to this lot's competitions this quarter (capacity).",
    "Holder's export licence for encryption products to the destination is pending.",
)
DISQUALIFICATIONS = (
    "Offered model does not meet the minimum 16 GB RAM requirement.",
    "Warranty offered below the required period.",
    "Technical data sheets missing for lines 2 and 3.",
    "Delivery term DAP not accepted: offer is EXW only.",
    "Offer not signed by an authorised representative.",
)
CANCELLATIONS = (
    "Requirement merged into the regional procurement plan.",
    "Project funding withdrawn by the donor.",
    "Specifications changed after the site survey: a new competition will be issued.",
    "Need covered by a donation in kind.",
    "Emergency response ended before the award.",
)
ORDER_CANCELLATIONS = (
    "Duplicate of another purchase order.",
    "Budget line closed before delivery could be arranged.",
    "Consolidator cannot deliver within the required date.",
    "Requisition withdrawn by the programme unit.",
)
AWARD_JUSTIFICATIONS = (
    "Rank 1 bidder withdrew its offer after the opening (letter on file).",
    "Rank 1 delivery time does not meet the emergency deployment date; rank 2 delivers in time.",
    "Rank 1 offer's validity expired before the award could be issued.",
)
FEW_OFFERS = (
    "Only the holders active in the destination could offer; re-tendering would delay the "
    "deployment beyond the project end date.",
    "Market limited to the lot's holders; the price is in line with the previous award.",
)
AMENDMENT_REASONS = (
    "Quantity increased for an additional sub-office.",
    "Quantity reduced after the stock count.",
    "Additional units requested by the programme.",
    "Line adjusted to the revised budget.",
)
REVIEW_COMMENTS = {
    1: ("Late and incomplete delivery; repeated follow-up needed.",),
    2: ("Delivery two weeks late; documents incomplete.", "Slow answers to queries."),
    3: ("Delivered as ordered.", "Minor delay on customs clearance.", ""),
    4: ("Excellent: early delivery and proactive updates.", "Very responsive; no issues.", ""),
}
FEEDBACK = (
    "Prices competitive; delivery times to field locations remain long.",
    "Good responsiveness from holders; more catalogue items for rugged equipment would help.",
    "Customs clearance in the destination countries delayed several deliveries.",
    "No issues to report.",
    "Would welcome more competition in lot 3.",
)
SPEND_OVERRIDES = (
    "Includes orders recorded in the ERP before the focal points used this tool.",
    "Excludes orders charged to a donor-funded project reported separately.",
    "Adjusted to the figures certified by the finance unit.",
)
