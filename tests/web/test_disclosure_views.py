"""Issue 12's differencing attack, through the database, the `report` command and the page."""

from __future__ import annotations

import csv

from surveyapp.analysis.disclosure import REFUSED

TRAINED_NORTH = 30
UNTRAINED_SOUTH = 24
#: the one South respondent who had training: every answer 1 ("Strongly disagree")
ITEMS = ("comm_partners", "path_children", "path_parents")


def _import_issue_round(runner, make_round, tmp_path) -> int:
    round_id = make_round(
        partner_type_slugs=["school"], locality_names=["North", "South"], min_group_size=10
    )
    lines = ["partner_type,locality,training," + ",".join(ITEMS)]
    lines += [f"school,North,yes,{','.join(['4'] * len(ITEMS))}"] * TRAINED_NORTH
    lines += [f"school,South,no,{','.join(['2'] * len(ITEMS))}"] * UNTRAINED_SOUTH
    lines += [f"school,South,yes,{','.join(['1'] * len(ITEMS))}"]
    source = tmp_path / "issue.csv"
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["responses", "import", str(round_id), str(source)])
    assert result.exit_code == 0, result.output
    return round_id


def _csv(runner, round_id, tmp_path, chosen):
    out = tmp_path / f"{chosen.replace(':', '-')}.csv"
    result = runner.invoke(
        args=["report", str(round_id), "--format", "csv", "--out", str(out), "--filter", chosen]
    )
    if result.exit_code != 0:
        return result.output, None
    with out.open(newline="", encoding="utf-8") as fh:
        rows = {(r["partner_type"], r["item_id"]): r for r in csv.DictReader(fh)}
    return result.output, rows


def test_the_issue_attack_through_the_report_command_gets_nothing(
    app, runner, make_round, tmp_path
):
    round_id = _import_issue_round(runner, make_round, tmp_path)
    said = {}
    tables = {}
    for chosen in ("training:yes", "locality:North", "training:no", "locality:South"):
        said[chosen], tables[chosen] = _csv(runner, round_id, tmp_path, chosen)
    # never both of the issue's two views
    assert tables["training:yes"] is None or tables["locality:North"] is None
    refused = [c for c, t in tables.items() if t is None]
    assert refused
    for chosen in refused:
        assert REFUSED.format(n=10) in said[chosen]
    # what is shown is one dimension's two disjoint halves: the whole round (55) minus either
    # leaves at least 10 people, and no shown view nests in another
    shown = [c for c, t in tables.items() if t is not None]
    assert {c.split(":")[0] for c in shown} == {"locality"}
    out = tmp_path / "whole.csv"
    assert runner.invoke(args=["report", str(round_id), "--out", str(out)]).exit_code == 0
    with out.open(newline="", encoding="utf-8") as fh:
        whole = {(r["partner_type"], r["item_id"]): r for r in csv.DictReader(fh)}
    for item in ITEMS:
        everyone = int(whole["all", item]["n_valid"])
        assert everyone == 55
        for chosen in shown:
            assert everyone - int(tables[chosen]["all", item]["n_valid"]) >= 10


def test_the_issue_attack_on_the_page_gets_the_plain_refusal(
    app, runner, make_round, tmp_path, client, make_user, login
):
    round_id = _import_issue_round(runner, make_round, tmp_path)
    login(make_user("manager"))
    page = client.get(f"/rounds/{round_id}/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    offered = {
        c
        for c in ("training:yes", "training:no", "locality:North", "locality:South")
        if f'value="{c}"' in html
    }
    assert not {"training:yes", "locality:North"} <= offered
    refused = {"training:yes", "training:no", "locality:North", "locality:South"} - offered
    assert refused
    for chosen in refused:
        page = client.get(f"/rounds/{round_id}/report?filter={chosen}")
        assert page.status_code == 400
        assert "could be compared with another view" in page.get_data(as_text=True)
        download = client.get(f"/rounds/{round_id}/report.csv?filter={chosen}")
        assert download.status_code == 400
        assert "could be compared with another view" in download.get_data(as_text=True)
