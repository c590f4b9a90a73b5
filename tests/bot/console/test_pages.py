"""Security finding 11: the knowledge-base page was served to anyone; without a session
the browser is sent to sign in. The supervisors' old page now sends everyone to the
staff app's conversation review (which has its own sign-in)."""

from tests.helpers import sign_in


def test_finding_11_staff_pages_need_a_sign_in(customer) -> None:
    anonymous = customer.get("/console/kb", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console"
    moved = customer.get("/console/supervisor", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/console/app/review"
    customer.cookies.set("anxin_session", "forged-session-token")
    assert customer.get("/console/kb", follow_redirects=False).status_code == 303
    customer.cookies.clear()
    assert sign_in(customer, "li.na", "pw-li-na-123").status_code == 200
    page = customer.get("/console/kb", follow_redirects=False)
    assert page.status_code == 200 and "<html" in page.text.lower()
