"""Content pools of the generated records: names, companies, subjects, places.

Mixed scripts on purpose (accents, CJK, Cyrillic, Greek, emoji): the tap must carry them unchanged.
"""

from __future__ import annotations

FIRST_NAMES = (
    ("Ana", "ana"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Ümit", "umit"),
    ("Priya", "priya"),
    ("Liam", "liam"),
    ("Mia", "mia"),
    ("健太", "kenta"),
    ("美咲", "misaki"),
    ("Олег", "oleg"),
    ("Σοφία", "sofia"),
    ("François", "francois"),
    ("Nguyễn", "nguyen"),
    ("Grace", "grace"),
    ("Omar", "omar"),
    ("Björn", "bjorn"),
    ("Inés", "ines"),
    ("Wei", "wei"),
    ("Aoife", "aoife"),
)
LAST_NAMES = (
    ("García", "garcia"),
    ("Müller", "muller"),
    ("O'Brien", "obrien"),
    ("Smith", "smith"),
    ("Dubois", "dubois"),
    ("Kowalski", "kowalski"),
    ("佐藤", "sato"),
    ("Иванова", "ivanova"),
    ("Rossi", "rossi"),
    ("Haddad", "haddad"),
    ("Lindqvist", "lindqvist"),
    ("Patel", "patel"),
    ("Nakamura", "nakamura"),
    ("Çelik", "celik"),
    ("Novák", "novak"),
    ("Brown", "brown"),
)
COMPANIES = (
    ("Acme Corporation", "acme.example"),
    ("Globex GmbH", "globex.example"),
    ("Initech Ltd.", "initech.example"),
    ("Umbrella Société Anonyme", "umbrella.example"),
    ("株式会社サンプル", "sample-kk.example"),
    ("Soylent & Søn", "soylent.example"),
    ("Hooli", "hooli.example"),
    ("Vandelay Industries", "vandelay.example"),
    ("Wayne Enterprises", "wayne.example"),
    ("Żabka Logistics", "zabka.example"),
)
TITLES = (
    "VP of Sales",
    "Account Executive",
    "CTO",
    "Directrice financière",
    "Procurement Lead",
    "Head of Data",
    "営業部長",
    "Software Engineer",
    None,
    "Chief Revenue Officer",
)
TEAMS = (("00E001", "Enterprise Sales"), ("00E002", "Mid-Market"), ("00E003", "Customer Success"))
SUBJECTS = {
    "email": (
        "Re: Proposal for {company}",
        "Pricing follow-up",
        "Contrat de service — révision",
        "Quick question about the renewal",
        "見積もりの件",
        "Intro: {company} x Sandbox 🤝",
        "Fwd: Security questionnaire",
        "Next steps after our call",
        "Überarbeitetes Angebot",
    ),
    "meeting": (
        "Discovery call with {company}",
        "QBR {company} 📈",
        "Demo: analytics platform",
        "Réunion de lancement",
        "打ち合わせ",
        "Contract negotiation",
        "Weekly sync",
        "Onsite workshop — día 1",
    ),
    "call": (
        "Call with {company}",
        "Follow-up call",
        "Cold call",
        "Support escalation ☎️",
        "Rückruf wegen Angebot",
        "電話会議",
    ),
}
SUMMARY_WORDS = (
    "budget",
    "timeline",
    "stakeholders",
    "renewal",
    "pricing",
    "décision",
    "próximos pasos",
    "導入",
    "integration",
    "security",
    "procurement",
    "pilot",
    "🚀",
    "Q3",
    "naïve",
    "contrat",
    "legal",
    "onboarding",
    "discount",
    "champion",
    "roadmap",
    "Ångström",
    "数据",
    "✅",
)
LOCATIONS = (
    "Zoom",
    "Google Meet",
    "Microsoft Teams",
    "Salle Émile-Zola",
    "会議室 3",
    "HQ — Floor 2",
    "Café Müller, Berlin",
    "https://meet.example.com/abc-defg-hij",
)
STAGES = (
    ("Prospecting", 1),
    ("Qualification", 2),
    ("Proposal", 3),
    ("Negotiation", 4),
    ("Closed Won", 5),
    ("Closed Lost", 6),
)
MEETING_STATUSES = ("confirmed", "tentative", "cancelled")
PARTICIPANT_STATUSES = ("accepted", "declined", "tentative", "needsAction")
FILE_NAMES = (
    "proposal.pdf",
    "Angebot_2025.docx",
    "pricing (1).xlsx",
    "提案書.pdf",
    "screenshot 🖼.png",
    "NDA-signed.pdf",
)
