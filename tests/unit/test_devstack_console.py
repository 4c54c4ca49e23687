"""`make run` keeps its console for the banner, warnings and errors; each request goes to requests.log."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from devstack import console


@pytest.fixture
def requests_log(tmp_path):
    yield console.configure(tmp_path, verbose=False)
    for name in (console.ACTIVITY_LOGGER, console.APP_OUTPUT_LOGGER):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True


def app_log(level: str, message: str) -> str:
    return json.dumps({"level": level, "message": message, "service": "halles"}) + "\n"


def test_routine_app_output_goes_to_the_file_and_warnings_errors_and_text_to_the_console_too(requests_log):
    shown = io.StringIO()
    out = console.AppOutput(shown, verbose=False)

    out.write(app_log("INFO", "request refused"))
    out.write('{"_aws":{"CloudWatchMetrics":[]},"OrderPlaced":[1.0]}\n')  # an EMF metric line
    out.write(app_log("ERROR", "webhook could not be enqueued"))
    print("=== Halles is running ===", file=out)  # the banner

    assert shown.getvalue().splitlines() == [app_log("ERROR", "webhook could not be enqueued").strip(),
                                             "=== Halles is running ==="]
    logged = requests_log.read_text()
    for line in ("request refused", '"OrderPlaced":[1.0]', "webhook could not be enqueued", "Halles is running"):
        assert line in logged
    # The app's JSON lines stay one JSON object a line in the file.
    assert json.loads(next(line for line in logged.splitlines() if "request refused" in line))["level"] == "INFO"


def test_verbose_prints_everything(requests_log):
    shown = io.StringIO()
    out = console.AppOutput(shown, verbose=True)

    out.write(app_log("INFO", "request refused"))

    assert "request refused" in shown.getvalue()


def test_access_log_and_invocations_go_to_the_file_only(requests_log, capsys):
    logging.getLogger(console.ACTIVITY_LOGGER).info('127.0.0.1 "GET /catalog/products HTTP/1.1" 200 -')

    assert "GET /catalog/products" in requests_log.read_text()
    assert "GET /catalog/products" not in capsys.readouterr().err


def test_lines_written_in_pieces_by_several_threads_are_not_mixed(requests_log):
    shown = io.StringIO()
    out = console.AppOutput(shown, verbose=True)

    def write(name: str) -> None:
        for i in range(200):
            out.write(f"{name}-{i} ")  # print() writes the text, then the end of line, separately
            out.write("done\n")

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = shown.getvalue().splitlines()
    assert len(lines) == 400 and all(line.endswith(" done") and line.count("-") == 1 for line in lines)
