"""The readiness report's "After you are approved" section (issue 19, item 7): sign in every 60
days, name a second PSO, keep the challenge question set, remove leavers' access; in both formats."""

from __future__ import annotations

from tests.states import advance_to
from wizard.report import build_report
from wizard.steps import Step

TOPICS = ("every 60 days", "second PSO", "challenge question", "leavers' access")


def test_the_report_says_what_to_keep_doing_after_approval(data_dir, clock):
    report = build_report(advance_to(data_dir, Step.AWAIT_APPROVAL, clock=clock))
    markdown = report.to_markdown()
    section = markdown.split("## After you are approved", 1)[1].split("\n---", 1)[0]
    for topic in TOPICS:
        assert topic in section, topic
    assert "iQIES Service Center" in section and "Manage access" in section
    assert markdown.index("## Next steps, for real") < markdown.index("## After you are approved")
    html = report.to_html()
    after = html.split("<h2>After you are approved</h2>", 1)[1].split("</section>", 1)[0]
    for topic in TOPICS:
        assert topic.replace("'", "&#x27;") in after or topic in after, topic
    assert after.count("<li>") == 4
