"""The words synthetic B2B data is made of: names, industries, countries, titles, domains.

Each list pairs values with weights that follow what B2B marketing databases look like
(mostly individual contributors and managers, a long tail of executives; the US first);
they are plausible, not measured, and the generator only needs them to be varied enough
that enrichment and scoring have real work to do.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ana Ben Carla David Elena Farid Grace Hiro Ines Jonas Kai Laura Mateo Nadia Omar Priya "
    "Quinn Rosa Sam Tara Uma Victor Wei Ximena Yara Zoe Lucas Sofia Noah Emma Liam Mia Ethan "
    "Olivia Arjun Chloe Diego Fatima Hannah Igor Julia Kenji Leila Marco Nora Pedro Sara Tom"
).split()
LAST_NAMES = (
    "Smith Garcia Muller Silva Kim Nguyen Rossi Dubois Tanaka Kowalski Johnson Brown Lopez "
    "Schmidt Santos Chen Patel Martin Costa Novak Jones Wilson Fischer Moreau Sato Ali Haddad "
    "Okafor Ivanova Larsen Berg Romero Weber Lee Singh Cohen Murphy Walsh Ferreira Yilmaz"
).split()

NAME_PARTS_A = (
    "Acme Globex Initech Umbra Hooli Vanda Stark Wayne Tyrell Cyber Nova Blue Red Green Iron "
    "Bright Swift Clear True Prime Peak North Apex Silver Golden Rapid Quantum Vertex Pixel "
    "Cloud Data Smart Net Core Meta Zen Sky Terra Ocean Solar Lumen Atlas Orion Polar Echo"
).split()
NAME_PARTS_B = (
    "Corp Labs Systems Works Soft Logic Dynamics Health Bank Retail Foods Motors Energy Media "
    "Analytics Networks Solutions Partners Group Industries Capital Cloud Bio Robotics Tech"
).split()
TLDS = (
    ("com", 70),
    ("io", 8),
    ("co.uk", 5),
    ("de", 5),
    ("fr", 3),
    ("com.br", 3),
    ("net", 3),
    ("co", 3),
)

#: industry, weight, fit (1 = the product's ideal customer profile)
INDUSTRIES = (
    ("Software", 18, 1),
    ("Financial Services", 10, 1),
    ("Healthcare", 9, 0),
    ("Manufacturing", 10, 0),
    ("Retail", 9, 0),
    ("Education", 5, 0),
    ("Professional Services", 9, 1),
    ("Media", 5, 0),
    ("Telecommunications", 4, 1),
    ("Government", 3, 0),
    ("Energy", 4, 0),
    ("Transportation", 4, 0),
    ("Real Estate", 4, 0),
    ("Hospitality", 3, 0),
    ("Nonprofit", 3, 0),
)
COUNTRIES = (
    ("US", 40),
    ("GB", 10),
    ("DE", 8),
    ("FR", 6),
    ("BR", 6),
    ("CA", 5),
    ("AU", 4),
    ("IN", 6),
    ("NL", 3),
    ("ES", 3),
    ("JP", 3),
    ("SE", 2),
    ("MX", 2),
    ("SG", 2),
)
TECH = (
    "salesforce",
    "hubspot",
    "marketo",
    "snowflake",
    "aws",
    "azure",
    "gcp",
    "slack",
    "zendesk",
    "shopify",
    "sap",
    "workday",
    "segment",
    "tableau",
)

PERSONAL_DOMAINS = (
    ("gmail.com", 45),
    ("yahoo.com", 10),
    ("outlook.com", 10),
    ("hotmail.com", 10),
    ("icloud.com", 5),
    ("gmx.de", 4),
    ("yahoo.co.uk", 3),
    ("web.de", 3),
    ("qq.com", 3),
    ("aol.com", 2),
    ("proton.me", 2),
    ("mail.ru", 3),
)
STUDENT_DOMAINS = (
    ("stanford.edu", 3),
    ("mit.edu", 3),
    ("ox.ac.uk", 2),
    ("unimelb.edu.au", 2),
    ("u-tokyo.ac.jp", 1),
    ("tum.de", 2),
    ("usp.br", 2),
    ("berkeley.edu", 3),
    ("ethz.ch", 1),
    ("cs.cmu.edu", 1),
    ("student.uva.nl", 1),
)
DISPOSABLE_DOMAINS = (
    ("mailinator.com", 4),
    ("guerrillamail.com", 2),
    ("yopmail.com", 3),
    ("10minutemail.com", 2),
    ("trashmail.com", 1),
    ("sharklasers.com", 1),
)
#: email kind, share of leads
EMAIL_KINDS = (("business", 68), ("personal", 22), ("student", 6), ("disposable", 4))

SOURCES = (
    ("organic_search", 30),
    ("paid_search", 18),
    ("social", 14),
    ("email", 12),
    ("referral", 9),
    ("events", 7),
    ("direct", 10),
)

SENIORITY = (("ic", 52), ("manager", 26), ("director", 12), ("vp", 6), ("cxo", 4))
DEPARTMENTS = (
    ("marketing", 26),
    ("sales", 22),
    ("engineering", 18),
    ("operations", 9),
    ("finance", 7),
    ("product", 8),
    ("hr", 5),
    ("other", 5),
)
DEPT_WORD = {
    "marketing": "Marketing",
    "sales": "Sales",
    "engineering": "Engineering",
    "operations": "Operations",
    "finance": "Finance",
    "product": "Product",
    "hr": "Human Resources",
    "other": "Customer Support",
}

#: title forms by seniority; "{d}" is the department word.
TITLE_FORMS = {
    "manager": (
        "{d} Manager",
        "Manager, {d}",
        "Senior {d} Manager",
        "{d} Team Lead",
        "{d} Mgr",
        "Manager - {d}",
    ),
    "director": (
        "Director of {d}",
        "{d} Director",
        "Head of {d}",
        "Sr. Director, {d}",
        "Director, {d} EMEA",
    ),
    "vp": (
        "VP {d}",
        "Vice President, {d}",
        "SVP {d}",
        "VP of {d}",
        "Vice President of {d}",
        "EVP, {d}",
    ),
}
IC_TITLES = {
    "marketing": (
        "Marketing Specialist",
        "Content Marketer",
        "SEO Specialist",
        "Demand Generation Specialist",
        "Marketing Coordinator",
        "Growth Analyst",
    ),
    "sales": (
        "Account Executive",
        "SDR",
        "Sales Representative",
        "Business Development Rep",
        "Inside Sales Rep",
        "Customer Success Specialist",
    ),
    "engineering": (
        "Software Engineer",
        "Senior Developer",
        "DevOps Engineer",
        "Data Engineer",
        "IT Administrator",
        "Solutions Architect",
    ),
    "operations": (
        "Operations Analyst",
        "Logistics Coordinator",
        "Ops Specialist",
        "Supply Chain Analyst",
    ),
    "finance": ("Financial Analyst", "Accountant", "Controller", "FP&A Analyst"),
    "product": ("Product Designer", "UX Researcher", "Product Analyst", "Product Owner"),
    "hr": ("Recruiter", "HR Generalist", "Talent Acquisition Specialist", "People Partner"),
    "other": ("Support Agent", "Office Administrator", "Consultant", "Analyst"),
}
CXO_TITLES = {
    "marketing": ("CMO", "Chief Marketing Officer"),
    "sales": ("CRO", "Chief Revenue Officer"),
    "engineering": ("CTO", "Chief Technology Officer", "CIO", "Co-Founder & CTO"),
    "operations": ("COO", "Chief Operating Officer"),
    "finance": ("CFO", "Chief Financial Officer"),
    "product": ("CPO", "Chief Product Officer"),
    "hr": ("CHRO", "Chief People Officer"),
    "other": ("CEO", "Founder", "Owner", "Co-founder and CEO", "President", "Managing Director"),
}
#: Local-language titles, used for leads in these countries some of the time.
LOCAL_TITLES = {
    "BR": (
        "Gerente de Marketing",
        "Diretor de Vendas",
        "Analista de Marketing",
        "Gerente Comercial",
    ),
    "DE": ("Geschäftsführer", "Leiter Vertrieb", "Marketing Managerin", "Vertriebsleiter"),
    "FR": ("Directeur Commercial", "Responsable Marketing", "Directeur Général", "Chef de projet"),
    "ES": ("Director de Ventas", "Gerente de Marketing", "Jefe de Ventas"),
    "MX": ("Gerente de Ventas", "Director General", "Coordinador de Marketing"),
}
STUDENT_TITLES = (
    "Student",
    "MBA Student",
    "Marketing Intern",
    "Intern",
    "PhD candidate",
    "Graduate Student",
)
JOB_SEEKER_TITLES = (
    "Looking for new opportunities",
    "Open to work",
    "Job seeker",
    "Seeking new role in marketing",
)

PERSONAS = {
    "cxo": "Economic Buyer",
    "vp": "Economic Buyer",
    "director": "Champion",
    "manager": "Champion",
    "ic": "End User",
}
#: form answer, and how much it raises the hidden propensity
FORM_ANSWERS = (
    ("contact me about pricing", 0.6),
    ("I'd like a demo", 0.5),
    ("just researching", -0.2),
    ("comparing vendors", 0.3),
    ("student project", -1.0),
    ("download the report", -0.1),
)

INTENT_TOPICS = (
    "lead scoring",
    "marketing automation",
    "crm",
    "sales engagement",
    "revenue operations",
    "data enrichment",
    "customer data platform",
)
URL_PATHS = {
    "page_view": "/",
    "pricing_page": "/pricing",
    "blog_view": "/blog/",
    "demo_request": "/demo",
    "case_study_view": "/customers/",
    "careers_page": "/careers",
    "content_download": "/resources/",
    "webinar_registration": "/webinars/",
    "trial_signup": "/signup",
    "contact_sales": "/contact",
    "form_submit": "/forms/",
}
