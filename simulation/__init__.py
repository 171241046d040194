"""A simulated MPP day through the real processes: `python -m simulation`.

Mosquitto and the central (`broker.central_main`) run as they do in production, the
central on a simulated clock many times faster than real time. Citizens arrive at the
kiosks on a morning-peak curve (as MQTT clients of the kiosk users, sending IssueTicket
requests), clerks call, serve, skip and pause at their counters (as MQTT clients of the
counter users), and a lobby display's subscription records the queue all day. The
report compares each ticket's printed wait estimate with the wait that really followed.

- `plan.py`: the day to play (arrivals, priority, no-shows, service times), seeded;
- `link.py`: the MQTT clients (a device that asks and waits for its answer, a display);
- `mall.py`: starts the processes and plays the plan through them;
- `report.py` and `chart.py`: the figures, the tables and the SVG chart.
"""
