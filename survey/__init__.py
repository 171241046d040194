"""The survey unit: four satisfaction buttons (and their LEDs) at a counter.

A press lights its LED for a moment as thanks and goes to the central as a `SurveyPress`
on `survey/<unit>/press`; the central ties it to the ticket the unit's counters finished
last (`broker/survey.py`). `panel.py` holds the buttons, `app.py` the sending, `main.py`
the command, `antre-survey`.
"""
