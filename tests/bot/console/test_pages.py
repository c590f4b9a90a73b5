"""The console's older page addresses lead to the staff app, which has its own sign-in
(security finding 11: the knowledge base is never served without a session)."""


def test_old_pages_lead_to_the_staff_app(customer) -> None:
    moved = customer.get("/console/kb", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/console/app/kb"
    moved = customer.get("/console/supervisor", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/console/app/review"
    assert customer.get("/api/v1/kb").status_code == 401  # its data needs a session
