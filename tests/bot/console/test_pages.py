"""Security finding 11: the supervisors' and the knowledge-base pages were served to
anyone; without a session the browser is sent to sign in."""

from tests.helpers import sign_in


def test_finding_11_staff_pages_need_a_sign_in(customer) -> None:
    for path in ("/console/supervisor", "/console/kb"):
        anonymous = customer.get(path, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console"
    customer.cookies.set("anxin_session", "forged-session-token")
    assert customer.get("/console/kb", follow_redirects=False).status_code == 303
    customer.cookies.clear()
    assert sign_in(customer, "li.na", "pw-li-na-123").status_code == 200
    for path in ("/console/supervisor", "/console/kb"):
        page = customer.get(path, follow_redirects=False)
        assert page.status_code == 200 and "<html" in page.text.lower()
