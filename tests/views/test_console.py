import io

from rich.text import Text

from modelinfra.views import console


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_means_no_escape_codes_at_all_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTTY()
    console._make(out).print(Text("bold red", style="bold red"))
    assert out.getvalue() == "bold red\n"


def test_a_terminal_without_no_color_gets_styles(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = FakeTTY()
    console._make(out).print(Text("bold", style="bold"))
    assert "\x1b[" in out.getvalue()


def test_not_a_terminal_gets_plain_text(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console._make(out).print(Text("bold", style="bold"))
    assert out.getvalue() == "bold\n"
