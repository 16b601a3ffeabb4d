"""The default red-flag rules, from ../shared/reference/red-flags.md and the
article beside it. Survivor-facing advice is our own plain wording, in English
(`advice`) and Spanish (`advice_es`): calm, for a frightened reader, never a
diagnosis. The tier's call to action (the clinic's emergency number, the
care-team phone) is on the page; an emergency rule's advice also ends with
the one instruction, "Call 911 now." / "Llame al 911 ahora." (911 is the
clinics' default number), so that the line read alone still says it.

Loaded by `manage.py load_default_rules` (make run calls it), which never
overwrites a rule an admin has changed (tracker/services/rules.py).
"""

ARTICLE = "Health.com, 'Symptoms of Metastatic Breast Cancer' (2022)"
NICE_MSCC = "NICE NG234 (metastatic spinal cord compression)"
UKONS = "UKONS oncology triage tool (combinations escalate)"

SPINE = ["neck", "upper_back", "lower_back"]
BONE_SITES = ["hip", "pelvis", "ribs", *SPINE]
LEGS = ["leg", "knee", "foot", "hip", "pelvis", "lower_back"]
NEW_OR_WORSE = {"any": [{"new": True}, {"worse": True}]}


def _sym(*codes: str) -> dict:
    return {"symptom": list(codes)}


def _text(*concepts: str) -> dict:
    return {"text": list(concepts)}


DEFAULT_RULES: list[dict] = [
    # ------------------------------------------------------------ emergency
    {
        "slug": "mscc-leg-weakness-numbness",
        "name": "New weakness or numbness in the legs",
        "tier": "emergency",
        "condition": {
            "any": [
                {"all": [_sym("weakness", "numbness"), {"body_site": LEGS}, NEW_OR_WORSE]},
                _text("leg_weakness"),
            ]
        },
        "advice": "New weakness or numbness in your legs needs to be checked straight away. Call 911 now.",
        "advice_es": "Una debilidad o un adormecimiento nuevos en las piernas se deben revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Possible metastatic spinal cord compression: same-day MRI pathway per local MSCC policy.",
        "source": f"Article: Complications - Spinal cord compression. Urgency: {NICE_MSCC}.",
    },
    {
        "slug": "mscc-trouble-walking",
        "name": "New trouble standing or walking",
        "tier": "emergency",
        "condition": {"any": [{"all": [_sym("trouble_walking"), NEW_OR_WORSE]}, _text("trouble_walking")]},
        "advice": "New trouble standing or walking needs to be checked straight away. Call 911 now.",
        "advice_es": "Si le cuesta ponerse de pie o caminar, y esto es nuevo, se debe revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Spinal cord compression or brain metastasis. Ask about back pain, leg weakness, bladder/bowel.",
        "source": f"Article: In the Brain; Complications - Spinal cord compression. Urgency: {NICE_MSCC}.",
    },
    {
        "slug": "mscc-bladder-bowel",
        "name": "Loss of bladder or bowel control",
        "tier": "emergency",
        "condition": {"any": [_sym("bladder_bowel_control"), _text("bladder_bowel")]},
        "advice": "Losing control of your bladder or bowels, when this is new for you, needs to be checked straight away. Call 911 now.",
        "advice_es": "Si no puede controlar la orina o el intestino, y esto es nuevo para usted, se debe revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Late sign of spinal cord compression.",
        "source": f"Article: Complications - Spinal cord compression. Urgency: {NICE_MSCC}.",
    },
    {
        "slug": "mscc-radicular-pain",
        "name": "Shooting or band-like pain",
        "tier": "emergency",
        "condition": {"any": [_text("radicular_pain")]},
        "advice": "A shooting pain, or a pain like a tight band around your body, needs to be checked straight away. Call 911 now.",
        "advice_es": "Un dolor como una descarga eléctrica, o como una banda apretada alrededor del cuerpo, se debe revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Radicular pain in someone with a cancer history: MSCC red flag.",
        "source": f"Article: Complications - Spinal cord compression. Urgency: {NICE_MSCC}.",
    },
    {
        "slug": "hip-pain-with-trouble-walking",
        "name": "Hip or back pain with trouble walking",
        "tier": "emergency",
        "condition": {
            "combination": {
                "a": {"all": [_sym("pain"), {"body_site": ["hip", "pelvis", "lower_back", "upper_back"]}]},
                "b": {"any": [_sym("trouble_walking", "weakness"), _text("trouble_walking", "leg_weakness")]},
                "within_days": 7,
            }
        },
        "advice": "Pain in your hip or back together with trouble walking needs to be checked straight away. Call 911 now.",
        "advice_es": "Un dolor en la cadera o la espalda junto con dificultad para caminar se debe revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Spinal involvement signal; X-ray and bone scan pathway.",
        "source": f"Article: In the Bones; Diagnosis (hip pain with trouble walking). Urgency: {NICE_MSCC}; {UKONS}.",
    },
    {
        "slug": "seizure",
        "name": "Seizure",
        "tier": "emergency",
        "condition": {"any": [_sym("seizure"), _text("seizure")]},
        "advice": "A seizure (fit) needs emergency care. Call 911 now.",
        "advice_es": "Una convulsión (un ataque) necesita atención de emergencia. Llame al 911 ahora.",
        "nurse_note": "New seizure: emergency assessment, brain imaging.",
        "source": "Article: In the Brain (seizures). Urgency: red-flags.md (a new seizure is an emergency).",
    },
    {
        "slug": "confusion",
        "name": "Confusion or drowsiness",
        "tier": "emergency",
        "condition": {"any": [_sym("confusion"), _text("confusion")]},
        "advice": "Feeling confused or unusually drowsy needs to be checked straight away. Call 911 now.",
        "advice_es": "Si siente confusión o mucho más sueño que de costumbre, se debe revisar de inmediato. Llame al 911 ahora.",
        "nurse_note": "Possible hypercalcaemia or brain metastasis: urgent calcium, emergency assessment.",
        "source": "Article: Complications - Hypercalcemia. Urgency: red-flags.md (confusion or drowsiness is an emergency).",
    },
    {
        "slug": "chest-pain-with-breathlessness",
        "name": "Chest pain with shortness of breath",
        "tier": "emergency",
        "condition": {
            "any": [
                {
                    "combination": {
                        "a": {"any": [{"all": [_sym("pain"), {"body_site": ["chest", "ribs"]}]}, _text("chest_pain")]},
                        "b": {"any": [_sym("shortness_of_breath"), _text("short_of_breath")]},
                        "within_days": 2,
                    }
                },
                {"all": [_text("chest_pain"), _text("short_of_breath")]},
            ]
        },
        "advice": "Chest pain together with shortness of breath needs emergency care. Call 911 now.",
        "advice_es": "Un dolor en el pecho junto con falta de aire necesita atención de emergencia. Llame al 911 ahora.",
        "nurse_note": "Pleural effusion, PE or cardiac cause: emergency assessment.",
        "source": "Article: Complications - Malignant pleural effusion. Urgency: red-flags.md (chest pain with breathlessness).",
    },
    # ------------------------------------------------------------ urgent
    {
        "slug": "bone-pain-new-or-worse",
        "name": "New, different or worsening bone pain",
        "tier": "urgent",
        "condition": {
            "any": [
                {"all": [_sym("pain"), {"body_site": BONE_SITES}, NEW_OR_WORSE]},
                _text("bone_pain"),
            ]
        },
        "advice": "A new, different or worsening pain in your hip, back, pelvis or ribs should be looked at soon.",
        "advice_es": "Un dolor nuevo, distinto o que empeora en la cadera, la espalda, la pelvis o las costillas se debe revisar pronto.",
        "nurse_note": "Hip and lower back are the commonest bone metastasis sites; ask how it differs from usual pain.",
        "source": f"Article: In the Bones (progressive pain, hip and lower back; new pain unlike usual). Urgency: {NICE_MSCC}.",
    },
    {
        "slug": "spinal-pain-at-night-or-on-straining",
        "name": "Pain at night or when coughing or straining",
        "tier": "urgent",
        "condition": {"any": [_text("night_pain", "pain_on_straining")]},
        "advice": "Pain that wakes you at night, or that gets worse when you cough, sneeze or strain, should be looked at soon.",
        "advice_es": "Un dolor que le despierta por la noche, o que empeora al toser, estornudar o hacer fuerza, se debe revisar pronto.",
        "nurse_note": "Night pain that stops sleep, or pain worse on straining: MSCC review within 24 h; ask about leg weakness and bladder/bowel.",
        "source": f"Article: In the Bones; Complications - Spinal cord compression. Urgency: {NICE_MSCC} (night pain, pain on straining: review within 24 hours).",
    },
    {
        "slug": "severe-spinal-pain",
        "name": "Severe back or neck pain",
        "tier": "urgent",
        "condition": {"all": [_sym("pain"), {"body_site": SPINE}, {"min_severity": 7}]},
        "advice": "Severe pain in your back or neck should be looked at soon.",
        "advice_es": "Un dolor fuerte en la espalda o en el cuello se debe revisar pronto.",
        "nurse_note": "Severe or progressive spinal pain: review within 24 h (MSCC guidance).",
        "source": f"Article: In the Bones. Urgency: {NICE_MSCC} (severe spinal pain, review within 24 hours).",
    },
    {
        "slug": "fracture-minor-injury",
        "name": "Broken bone after a minor fall or injury",
        "tier": "urgent",
        "condition": {"any": [_sym("fracture"), _text("fracture")]},
        "advice": "A broken bone, even after a small fall or bump, should be looked at soon.",
        "advice_es": "Un hueso roto, aunque sea después de una caída o un golpe pequeño, se debe revisar pronto.",
        "nurse_note": "Possible pathologic fracture: imaging of the site and bone scan.",
        "source": "Article: In the Bones (pathologic fracture); Complications - Bone fractures.",
    },
    {
        "slug": "headache",
        "name": "New, worsening or severe headache",
        "tier": "urgent",
        "condition": {
            "any": [
                {"all": [_sym("headache"), {"any": [{"new": True}, {"worse": True}, {"min_severity": 7}]}]},
                _text("headache"),
            ]
        },
        "advice": "A new, worsening or severe headache should be looked at soon.",
        "advice_es": "Un dolor de cabeza nuevo, que empeora o muy fuerte se debe revisar pronto.",
        "nurse_note": "Brain metastasis screen; ask about vomiting, dizziness, vision, weakness.",
        "source": f"Article: In the Brain (headaches). Urgency: {UKONS} (a headache alone is urgent).",
    },
    {
        "slug": "headache-with-nausea-vomiting-dizziness",
        "name": "Headache with nausea, vomiting or dizziness",
        "tier": "urgent",
        "condition": {
            "combination": {
                "a": {"any": [_sym("headache"), _text("headache")]},
                "b": {"any": [_sym("nausea", "vomiting", "dizziness"), _text("nausea", "vomiting", "dizziness")]},
                "within_days": 3,
            }
        },
        "advice": "A headache together with feeling sick, being sick or dizziness should be looked at soon.",
        "advice_es": "Un dolor de cabeza junto con náuseas, vómitos o mareos se debe revisar pronto.",
        "nurse_note": "Raised intracranial pressure pattern: top of the urgent list; MRI pathway.",
        "source": f"Article: In the Brain; Diagnosis (headaches with dizziness lead to an MRI). Urgency: {UKONS}.",
    },
    {
        "slug": "jaundice",
        "name": "Yellow skin or eyes",
        "tier": "urgent",
        "condition": {"any": [_sym("jaundice"), _text("jaundice")]},
        "advice": "Yellow skin or yellow whites of the eyes should be looked at soon.",
        "advice_es": "Si su piel o la parte blanca de sus ojos se ven amarillas, se debe revisar pronto.",
        "nurse_note": "Liver involvement: LFTs and imaging.",
        "source": "Article: In the Liver (jaundice).",
    },
    {
        "slug": "abdominal-pain-with-nausea-vomiting",
        "name": "Belly pain with nausea or vomiting",
        "tier": "urgent",
        "condition": {
            "combination": {
                "a": {"any": [{"all": [_sym("pain"), {"body_site": ["abdomen"]}]}, _text("abdominal_pain")]},
                "b": {"any": [_sym("nausea", "vomiting"), _text("nausea", "vomiting")]},
                "within_days": 3,
            }
        },
        "advice": "Belly pain together with feeling sick or being sick should be looked at soon.",
        "advice_es": "Un dolor de barriga junto con náuseas o vómitos se debe revisar pronto.",
        "nurse_note": "Liver involvement pattern: LFTs, imaging.",
        "source": "Article: In the Liver (abdominal pain, nausea, vomiting).",
    },
    {
        "slug": "shortness-of-breath",
        "name": "New or worsening shortness of breath",
        "tier": "urgent",
        "condition": {"any": [{"all": [_sym("shortness_of_breath"), NEW_OR_WORSE]}, _text("short_of_breath")]},
        "advice": "Getting short of breath more easily than usual should be looked at soon.",
        "advice_es": "Si le falta el aire con más facilidad que de costumbre, se debe revisar pronto.",
        "nurse_note": "Lung metastasis or pleural effusion; ask about chest pain (emergency if present).",
        "source": "Article: In the Lungs; Complications - Malignant pleural effusion.",
    },
    {
        "slug": "persistent-cough",
        "name": "Cough that keeps coming back",
        "tier": "urgent",
        "condition": {
            "all": [
                {"any": [_sym("cough"), _text("cough")]},
                {"persistence": {"symptoms": ["cough"], "min_days": 3, "within_days": 14}},
            ]
        },
        "advice": "A cough that keeps coming back should be looked at soon.",
        "advice_es": "Una tos que vuelve una y otra vez se debe revisar pronto.",
        "nurse_note": "Persistent dry cough: chest imaging.",
        "source": f"Article: In the Lungs (dry cough). Urgency: red-flags.md persistence; {UKONS}.",
    },
    {
        "slug": "vomiting-keeps-coming-back",
        "name": "Vomiting that keeps coming back",
        "tier": "urgent",
        "condition": {
            "all": [
                {"any": [_sym("vomiting"), _text("vomiting")]},
                {"persistence": {"symptoms": ["vomiting"], "min_days": 3, "within_days": 14}},
            ]
        },
        "advice": "Being sick again and again over several days should be looked at soon.",
        "advice_es": "Si vomita una y otra vez durante varios días, se debe revisar pronto.",
        "nurse_note": "Persistent vomiting: raised intracranial pressure, liver involvement or hypercalcaemia; check fluids.",
        "source": "Article: In the Liver; In the Brain (vomiting). Urgency: red-flags.md (persistence: 3+ days within 2 weeks).",
    },
    {
        "slug": "hypercalcaemia-thirst",
        "name": "Excessive thirst (or heart racing, constipation)",
        "tier": "urgent",
        "condition": {"any": [_sym("thirst"), _text("thirst", "palpitations", "constipation")]},
        "advice": "Being much more thirsty than usual, a racing or skipping heart, or new constipation should be looked at soon.",
        "advice_es": "Si tiene mucha más sed que de costumbre, siente el corazón acelerado o con saltos, o tiene estreñimiento nuevo, se debe revisar pronto.",
        "nurse_note": "Hypercalcaemia screen: calcium, renal function.",
        "source": "Article: Complications - Hypercalcemia. Urgency: red-flags.md (thirst, nausea, constipation alone are urgent).",
    },
    {
        "slug": "persistent-fatigue-appetite-nausea",
        "name": "Tiredness, poor appetite or nausea that keeps coming back",
        "tier": "urgent",
        "condition": {
            "all": [
                _sym("fatigue", "appetite_loss", "nausea"),
                {"persistence": {"symptoms": ["fatigue", "appetite_loss", "nausea"], "min_days": 3, "within_days": 14}},
            ]
        },
        "advice": "Tiredness, poor appetite or feeling sick that keeps coming back should be looked at soon.",
        "advice_es": "Si el cansancio, la falta de apetito o las náuseas vuelven una y otra vez, se debe revisar pronto.",
        "nurse_note": "Persistence escalates a routine symptom to urgent.",
        "source": "Article: Generalized symptoms. Urgency: red-flags.md (reported on 3+ days within 2 weeks).",
    },
    {
        "slug": "fatigue-appetite-with-weight-loss",
        "name": "Tiredness or poor appetite with weight loss",
        "tier": "urgent",
        "condition": {
            "all": [
                _sym("fatigue", "appetite_loss", "nausea"),
                {"weight_loss": {"min_percent": 5, "within_days": 365}},
            ]
        },
        "advice": "Tiredness or a poor appetite while losing weight should be looked at soon.",
        "advice_es": "Si siente cansancio o tiene poco apetito mientras baja de peso, se debe revisar pronto.",
        "nurse_note": "Generalised symptoms with weight loss: escalate.",
        "source": "Article: Generalized symptoms. Urgency: red-flags.md (routine symptom with weight loss is urgent).",
    },
    # ------------------------------------------------------------ routine
    {
        "slug": "unexplained-weight-loss",
        "name": "Unexplained weight loss (5% or more within a year)",
        "tier": "routine",
        "condition": {
            "any": [
                {"weight_loss": {"min_percent": 5, "within_days": 365}},
                {"weight_loss": {"min_kg": 4.5, "within_days": 365}},
            ]
        },
        "advice": "Your weight has dropped noticeably. Please mention it to your care team.",
        "advice_es": "Su peso ha bajado bastante. Por favor, coménteselo a su equipo de atención.",
        "nurse_note": "5% or more over 6-12 months (or more than 4.5 kg) from the weight log.",
        "source": "Article: Generalized symptoms (extreme weight loss); Diagnosis. Threshold: red-flags.md.",
    },
    {
        "slug": "weight-loss-in-her-words",
        "name": "Weight loss she describes",
        "tier": "routine",
        "condition": {"any": [_text("weight_loss")]},
        "advice": "Losing weight without trying is worth mentioning to your care team. Logging your weight helps them see the trend.",
        "advice_es": "Si está bajando de peso sin proponérselo, vale la pena comentárselo a su equipo de atención. Anotar su peso les ayuda a ver cómo va cambiando.",
        "nurse_note": "Unintended weight loss in her own words; compare with her weight log (5% in 6-12 months is the threshold).",
        "source": "Article: Generalized symptoms (extreme weight loss); Diagnosis (low threshold to investigate weight loss).",
    },
    {
        "slug": "new-pain-elsewhere",
        "name": "New or different pain elsewhere",
        "tier": "routine",
        "condition": {
            "all": [
                _sym("pain"),
                {"not": {"body_site": [*BONE_SITES, "abdomen"]}},
                NEW_OR_WORSE,
            ]
        },
        "advice": "A new or different pain is worth mentioning to your care team.",
        "advice_es": "Si tiene un dolor nuevo o distinto, vale la pena comentárselo a su equipo de atención.",
        "nurse_note": "Any new pain unlike usual chronic or arthritis pain.",
        "source": "Article: In the Bones (any new pain that feels different).",
    },
    {
        "slug": "new-weakness-or-numbness-elsewhere",
        "name": "New weakness or numbness (not the legs)",
        "tier": "routine",
        "condition": {
            "all": [
                _sym("weakness", "numbness"),
                {"not": {"body_site": LEGS}},
                NEW_OR_WORSE,
            ]
        },
        "advice": "New weakness or numbness is worth mentioning to your care team.",
        "advice_es": "Si tiene una debilidad o un adormecimiento nuevos, vale la pena comentárselo a su equipo de atención.",
        "nurse_note": "Arms/hands: consider neuropathy from treatment; ask about legs (emergency if present).",
        "source": "Article: Complications - Spinal cord compression (weakness or numbness in the limbs).",
    },
    {
        "slug": "cough-new",
        "name": "New or worsening cough",
        "tier": "routine",
        "condition": {"all": [_sym("cough"), NEW_OR_WORSE]},
        "advice": "A new or worsening cough, especially a dry one, is worth mentioning to your care team.",
        "advice_es": "Si tiene una tos nueva o que empeora, sobre todo si es seca, vale la pena comentárselo a su equipo de atención.",
        "nurse_note": "Dry cough can be an early lung sign; persistence makes it urgent.",
        "source": "Article: In the Lungs (dry cough).",
    },
    {
        "slug": "fatigue-appetite-nausea",
        "name": "New tiredness, poor appetite, nausea or vomiting",
        "tier": "routine",
        "condition": {"all": [_sym("fatigue", "appetite_loss", "nausea", "vomiting"), NEW_OR_WORSE]},
        "advice": "New or worsening tiredness, poor appetite, nausea or vomiting is worth mentioning to your care team.",
        "advice_es": "Si tiene cansancio, poco apetito, náuseas o vómitos nuevos o que empeoran, vale la pena comentárselo a su equipo de atención.",
        "nurse_note": "Routine alone; urgent when persistent or with weight loss (separate rules).",
        "source": "Article: Generalized symptoms; In the Liver; In the Brain.",
    },
    {
        "slug": "dizziness-new",
        "name": "New or worsening dizziness",
        "tier": "routine",
        "condition": {"all": [_sym("dizziness"), NEW_OR_WORSE]},
        "advice": "New or worsening dizziness is worth mentioning to your care team.",
        "advice_es": "Si tiene mareos nuevos o que empeoran, vale la pena comentárselo a su equipo de atención.",
        "nurse_note": "Brain sign; with headache see the combination rule.",
        "source": "Article: In the Brain (dizziness).",
    },
    {
        # Her weekly answer about her hormone tablets (asked while her plan
        # says she takes them): a rule of its own, on the check-in's answer
        # (rules/facts.Answer), so it fires on an answer with no symptom.
        # Side effects she reports are symptom entries, read by the rules above.
        "slug": "endocrine-stopped-or-missed",
        "name": "Hormone therapy stopped or often missed",
        "tier": "routine",
        "condition": {
            "any": [
                {"endocrine": {"answers": ["stopped"]}},
                {"endocrine": {"answers": ["missed_some"], "min_times": 2, "within_days": 28}},
            ]
        },
        "advice": "Thank you for telling us. A nurse will call you to talk it through: there are often ways to "
        "help with side effects. If you are thinking of stopping, please talk to your care team first.",
        "advice_es": "Gracias por contárnoslo. Una persona de su equipo de enfermería le llamará para hablarlo con calma: "
        "muchas veces hay maneras de aliviar los efectos secundarios. Si está pensando en dejar la terapia hormonal, "
        "por favor hable antes con su equipo de atención.",
        "nurse_note": "She says she has stopped her hormone tablets, or missed some twice in 4 weeks. Call to talk it "
        "through: side effects (joint pain, hot flushes, mood), worries, cost; options such as another agent or "
        "help with side effects. Record what she decides on her plan.",
        "source": "Article: not one of its red flags; follow-up care (issue 15). Stopping early is common: "
        "Hershman et al., J Clin Oncol 2010 (early discontinuation and non-adherence to adjuvant hormonal therapy).",
    },
    {
        "slug": "read-her-words",
        "name": "Please read her words",
        "tier": "routine",
        "condition": {"all": [_sym("other"), {"unread_note": True}]},
        "advice": "Thank you for telling us. A nurse will read what you wrote.",
        "advice_es": "Gracias por contárnoslo. Una persona de su equipo de enfermería leerá lo que usted escribió.",
        "nurse_note": "She chose \u201cSomething else\u201d and wrote a note no other rule understood. Read it and decide.",
        "source": "Article: How Is Metastatic Breast Cancer Diagnosed? (new, troubling symptoms: talk to your provider). A person reads what no rule understood: nothing she writes is ignored.",
    },
]
