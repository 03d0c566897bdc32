from lakestep.reports import HtmlReport, new_figure


def test_report_is_one_self_contained_file_with_escaped_text(tmp_path):
    fig, ax = new_figure()
    ax.bar(["a", "b"], [1, 2])
    path = HtmlReport("Gate <m>", "v1").badge(False, "FAILED").table(
        ["check", "passed"], [["r2 >= 0.3", True], ["<script>", False]]
    ).figure(fig, "metrics").write(tmp_path / "r" / "gate.html")
    text = path.read_text()
    assert "Gate &lt;m&gt;" in text and "&lt;script&gt;" in text and "<script>" not in text
    assert "data:image/png;base64," in text
    assert text.count("class='fail'") >= 1 and "class='pass'" in text
