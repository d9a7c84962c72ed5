"""The appraisal tool the review applies to case reports and case series."""

from __future__ import annotations

#: Domains of the tool for case reports and case series of Murad et al. (BMJ Evid Based Med
#: 2018;23:60–63), each with its leading questions (paraphrased, not quoted).
MURAD_DOMAINS: dict[str, tuple[str, ...]] = {
    "Selection": (
        "Do the reported patients plausibly represent all such patients seen by the "
        "investigators or centre, or is it unclear how they were picked, so that similar "
        "patients may have gone unreported?",
    ),
    "Ascertainment": (
        "Was the exposure (intervention) established reliably?",
        "Was the outcome established reliably?",
    ),
    "Causality": (
        "Were other plausible explanations for the outcome excluded?",
        "Did the effect disappear on withdrawal and reappear on re-exposure (challenge / rechallenge)?",
        "Was there a dose–response relation?",
        "Was follow-up long enough for the outcome to occur?",
    ),
    "Reporting": (
        "Are the cases described in enough detail for others to replicate the work or for "
        "clinicians to judge applicability to their own patients?",
    ),
}
#: One-line summaries of the Murad domains (for captions and legends).
MURAD_DOMAIN_SUMMARY: dict[str, str] = {
    "Selection": "representativeness of the reported patients",
    "Ascertainment": "reliable measurement of exposure and outcome",
    "Causality": "alternative causes, rechallenge, dose–response, adequate follow-up",
    "Reporting": "enough detail to replicate and apply",
}


def murad_domains() -> list[dict[str, str]]:
    """The tool's domains as rows: domain, what it judges, its leading questions."""
    return [
        {"domain": d, "summary": MURAD_DOMAIN_SUMMARY[d], "questions": " ".join(qs)}
        for d, qs in MURAD_DOMAINS.items()
    ]
