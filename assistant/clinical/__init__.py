"""The deterministic clinical engines: one findings reader, triage, NEWS2, calculators and the
differential.

Nothing here calls or imports the language-model side of ``assistant`` (backends, prompts,
answers): these engines run, and are tested, without any model, and they are what a clinician
can check. The LLM may only escalate their urgency levels, never lower them.
"""
