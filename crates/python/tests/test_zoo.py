"""Zoo: open/create, imports, stats, recommend and evaluate, against the `zoorank` binary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import zoorank
from conftest import cli_error, cli_json


def test_open_refuses_a_missing_store_with_the_cli_message(tmp_path: Path, cli: Path) -> None:
    db = tmp_path / "missing.db"
    with pytest.raises(zoorank.ZooFileNotFoundError) as e:
        zoorank.Zoo.open(db)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, zoorank.ZooError)
    assert str(e.value) == cli_error(cli, "--db", str(db), "recommend", "--target", "dtd")
    assert not db.exists()


def test_open_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    f = tmp_path / "notes.db"
    f.write_text("not sqlite")
    with pytest.raises(zoorank.ZooError, match="is not a zoorank store"):
        zoorank.Zoo.open(f)
    assert f.read_text() == "not sqlite"


def test_a_bad_row_refuses_the_whole_import(tmp_path: Path, data_dir: Path, cli: Path) -> None:
    db = tmp_path / "z.db"
    zoo = zoorank.Zoo.create(db)
    src = data_dir / "transfergraph-image"
    with pytest.raises(zoorank.ZooValueError) as e:
        zoo.import_transfergraph(src)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg.startswith(f"importing {src} (nothing was written): 2 bad row(s)")
    assert "transferability_score_records.csv:" in msg
    assert zoo.stats()["records"] == 0
    cli_db = tmp_path / "cli.db"
    assert msg == cli_error(cli, "--db", str(cli_db), "import", "transfergraph", str(src))


def test_import_report_and_stats_match_the_cli(tmp_path: Path, data_dir: Path, cli: Path) -> None:
    db = tmp_path / "z.db"
    zoo = zoorank.Zoo.create(db)
    report = zoo.import_transfergraph(data_dir / "transfergraph-image", skip_bad_rows=True)
    assert report["layout"] == "transfergraph-image"
    assert len(report["skipped"]) == 2
    assert report["counts"]["records"]["new"] > 1000
    stats = zoo.stats()
    assert stats == cli_json(cli, "--db", str(db), "zoo", "stats", "--json")
    assert stats["records"] == report["counts"]["records"]["new"]
    # A second identical import changes nothing, so the zoo's version stays.
    v = zoo.zoo_version
    again = zoo.import_transfergraph(data_dir / "transfergraph-image", skip_bad_rows=True)
    assert again["counts"]["records"]["new"] == 0
    assert zoo.zoo_version == v


def test_dry_run_writes_nothing(tmp_path: Path, data_dir: Path) -> None:
    zoo = zoorank.Zoo.create(tmp_path / "z.db")
    report = zoo.import_two_phase(data_dir / "two-phase", dry_run=True)
    assert report["counts"] is None
    assert zoo.stats()["records"] == 0


def test_import_two_phase(tmp_path: Path, data_dir: Path) -> None:
    zoo = zoorank.Zoo.create(tmp_path / "z.db")
    report = zoo.import_two_phase(data_dir / "two-phase")
    assert report["counts"]["records"]["new"] > 0
    assert zoo.stats()["scores_by_method"].get("leep", 0) > 0
    with pytest.raises(zoorank.ZooFileNotFoundError):
        zoo.import_two_phase(tmp_path / "nowhere")


RUNS = pd.DataFrame(
    {
        "m": ["a", "a", "b", "b", "c", "c"],
        "task": ["t1", "t2", "t1", "t2", "t1", "t2"],
        "acc": [0.9, 0.7, 0.8, 0.6, 0.5, 0.4],
        "lr": [1e-3] * 6,
    }
)


def test_import_records_from_a_dataframe_and_a_csv(tmp_path: Path) -> None:
    zoo = zoorank.Zoo.create(tmp_path / "df.db")
    report = zoo.import_records(RUNS, model="m", dataset="task", accuracy="acc", lr="lr", modality="image")
    assert report["counts"]["records"]["new"] == 6
    csv = tmp_path / "runs.csv"
    RUNS.to_csv(csv, index=False)
    other = zoorank.Zoo.create(tmp_path / "csv.db")
    other.import_records(str(csv), model="m", dataset="task", accuracy="acc", lr="lr", modality="image")
    assert other.zoo_version == zoo.zoo_version
    rec = zoo.recommend("t2", method="popularity")
    assert [m["model"] for m in rec.models] == ["a", "b", "c"]
    assert [m["recorded_accuracy"] for m in rec.models] == [0.7, 0.6, 0.4]


def test_import_records_bad_input(tmp_path: Path) -> None:
    zoo = zoorank.Zoo.create(tmp_path / "z.db")
    with pytest.raises(zoorank.ZooValueError, match=r"<DataFrame>|missing column 'accuracy'"):
        zoo.import_records(RUNS, model="m", dataset="task")
    bad = RUNS.astype({"acc": object})
    bad.loc[3, "acc"] = "n/a"
    with pytest.raises(zoorank.ZooValueError, match=r"(?s)1 bad row\(s\).*\n  <DataFrame>:5, column 'acc': 'n/a' is not a finite number"):
        zoo.import_records(bad, model="m", dataset="task", accuracy="acc")
    report = zoo.import_records(bad, model="m", dataset="task", accuracy="acc", skip_bad_rows=True)
    assert report["counts"]["records"]["new"] == 5
    with pytest.raises(zoorank.ZooValueError, match="unknown modality 'audio'"):
        zoo.import_records(RUNS, model="m", dataset="task", accuracy="acc", modality="audio")
    with pytest.raises(zoorank.ZooValueError, match="delimiter"):
        zoo.import_records(tmp_path / "x.csv", model="m", dataset="task", accuracy="acc", delimiter=";;")
    with pytest.raises(zoorank.ZooFileNotFoundError, match="x.csv"):
        zoo.import_records(tmp_path / "x.csv", model="m", dataset="task", accuracy="acc")


def test_recommend_dtd_equals_the_cli_json(image_zoo: zoorank.Zoo, image_db: Path, cli: Path) -> None:
    rec = image_zoo.recommend("dtd", top=10)
    assert rec.data == cli_json(cli, "--db", str(image_db), "recommend", "--target", "dtd", "--top", "10", "--json")
    assert rec.target == "dtd" and rec.method == "trend+lr" and len(rec) == 10
    assert rec.zoo_version == image_zoo.zoo_version and rec.warnings == []
    assert image_zoo.path == str(image_db) and "185 models" in repr(image_zoo)
    assert rec.evidence == rec.data["evidence_used"] and rec.evidence
    # Without `top`, every candidate, in the CLI's order.
    full = image_zoo.recommend("dtd")
    cli_full = cli_json(cli, "--db", str(image_db), "recommend", "--target", "dtd", "--top", "100000", "--json")
    assert [m["model"] for m in full.models] == [m["model"] for m in cli_full["models"]]
    assert len(full) == full.candidates == cli_full["candidates"]


def test_recommend_with_another_method_equals_the_cli(image_zoo: zoorank.Zoo, image_db: Path, cli: Path) -> None:
    rec = image_zoo.recommend("pets", method="guard+trend+lr", top=5, seed=3)
    args = ["recommend", "--target", "pets", "--method", "guard+trend+lr", "--top", "5", "--seed", "3", "--json"]
    assert rec.data == cli_json(cli, "--db", str(image_db), *args)


def test_recommend_with_observed_runs_equals_the_cli(image_zoo: zoorank.Zoo, image_db: Path, cli: Path, tmp_path: Path) -> None:
    cold = image_zoo.recommend("dtd", top=3)
    first = cold.models[0]["model"]
    lo, hi = cold.models[0]["predicted_low"], cold.models[0]["predicted_high"]
    assert cold.data["coverage"] == 0.8 and lo <= cold.models[0]["predicted_accuracy"] <= hi
    rec = image_zoo.recommend("dtd", top=5, observed={first: 0.7})
    runs = tmp_path / "runs.csv"
    runs.write_text(f"model,accuracy\n{first},0.7\n")
    args = ["recommend", "--target", "dtd", "--top", "5", "--observed", str(runs), "--json"]
    assert rec.data == cli_json(cli, "--db", str(image_db), *args)
    seen = [m for m in rec.models if m["model"] == first]
    assert seen and seen[0]["observed"] and seen[0]["predicted_accuracy"] == 0.7
    assert "predicted_low" not in image_zoo.recommend("dtd", top=1, coverage=None).models[0]
    with pytest.raises(zoorank.ZooValueError, match="no model 'nope'"):
        image_zoo.recommend("dtd", observed={"nope": 0.5})


def test_recommend_with_probe_runs_equals_the_cli(image_zoo: zoorank.Zoo, image_db: Path, cli: Path, tmp_path: Path) -> None:
    cold = image_zoo.recommend("dtd", top=3, coverage=None)
    first, second = cold.models[0]["model"], cold.models[1]["model"]
    rec = image_zoo.recommend("dtd", coverage=None, observed={first: 0.7}, observed_probes={second: 0.4})
    runs = tmp_path / "runs.csv"
    runs.write_text(f"model,accuracy,kind\n{first},0.7,finetune\n{second},0.4,probe\n")
    args = ["recommend", "--target", "dtd", "--top", "100000", "--no-intervals", "--observed", str(runs), "--json"]
    assert rec.data == cli_json(cli, "--db", str(image_db), *args)
    assert rec.data["observed_runs"] == 1 and rec.data["probe_runs"] == 1
    [probed] = [m for m in rec.models if m["model"] == second]
    # A probed model keeps a prediction: its probe value is shown apart.
    assert probed["probe_accuracy"] == 0.4 and probed["predicted_accuracy"] != 0.4 and not probed.get("observed")


def test_next_equals_the_cli_and_never_proposes_a_model_already_run(
    image_zoo: zoorank.Zoo, image_db: Path, cli: Path, tmp_path: Path
) -> None:
    cold = image_zoo.recommend("dtd", top=2, coverage=None)
    first = cold.models[0]["model"]
    plan = image_zoo.next("dtd", budget=3, strategy="clusters", observed={first: 0.7})
    runs = tmp_path / "runs.csv"
    runs.write_text(f"model,accuracy\n{first},0.7\n")
    args = ["next", "--target", "dtd", "--budget", "3", "--strategy", "clusters", "--observed", str(runs), "--json"]
    assert plan == cli_json(cli, "--db", str(image_db), *args)
    proposed = [r["model"] for r in plan["runs"]]
    assert len(proposed) == 3 and first not in proposed
    assert plan["observed_runs"] == 1
    with pytest.raises(ValueError, match="strategy"):
        image_zoo.next("dtd", strategy="bogus")


def test_recommendation_to_pandas_and_explain(image_zoo: zoorank.Zoo) -> None:
    rec = image_zoo.recommend("dtd", top=5)
    df = rec.to_pandas()
    assert list(df["model"]) == [m["model"] for m in rec.models]
    assert list(df["rank"]) == [1, 2, 3, 4, 5]
    assert {"predicted_accuracy", "recorded_accuracy", "score"} <= set(df.columns)
    first = rec.models[0]["model"]
    why = rec.explain(first)
    assert {"paths", "popularity", "trend", "linked_datasets"} <= set(why)
    explained = image_zoo.recommend("dtd", top=5, explain=True)
    assert explained.explain(first) == why
    assert [m["model"] for m in explained.models] == [m["model"] for m in rec.models]
    with pytest.raises(zoorank.ZooValueError, match="not among the 5 models"):
        rec.explain("no-such-model")
    assert "dtd" in repr(rec)


def test_recommend_bad_input_has_the_cli_messages(image_zoo: zoorank.Zoo, image_db: Path, cli: Path) -> None:
    with pytest.raises(zoorank.ZooValueError) as e:
        image_zoo.recommend("no-such-dataset")
    assert str(e.value) == cli_error(cli, "--db", str(image_db), "recommend", "--target", "no-such-dataset")
    with pytest.raises(zoorank.ZooValueError) as e:
        image_zoo.recommend("dtd", method="lr+bogus")
    assert "lr+bogus" in str(e.value)


def test_evaluate_equals_the_cli(image_zoo: zoorank.Zoo, image_db: Path, cli: Path) -> None:
    report = image_zoo.evaluate(methods=["popularity", "lr"], targets=["dtd", "pets"])
    out = cli_json(cli, "--db", str(image_db), "eval", "--methods", "popularity,lr", "--targets", "dtd,pets", "--json")
    for m in ("popularity", "lr"):
        assert report.methods[m]["per_target"] == out["methods"][m]["per_target"]
        assert report.weighted_average(m) == out["methods"][m]["weighted_average"]
    assert report.targets == out["targets"]
    df = report.to_pandas()
    assert len(df) == 4 and {"method", "target", "pearson", "seconds"} <= set(df.columns)
    avg = report.to_pandas(averages=True)
    assert list(avg["method"]) == ["lr", "popularity"]
    with pytest.raises(zoorank.ZooValueError, match="was not evaluated"):
        report.weighted_average("rf")


def test_evaluate_bad_input(image_zoo: zoorank.Zoo, tmp_path: Path) -> None:
    with pytest.raises(zoorank.ZooValueError):
        image_zoo.evaluate(methods=["popularity"], targets=["no-such-dataset"])
    with pytest.raises(zoorank.ZooValueError, match="must be in"):
        image_zoo.evaluate(methods=["popularity"], targets=["dtd"], model_ratios=[1.5])
    with pytest.raises(zoorank.ZooValueError, match="not one string"):
        image_zoo.evaluate(methods="popularity")
    with pytest.raises(zoorank.ZooValueError, match="no fine-tuning records"):
        zoorank.Zoo.create(tmp_path / "empty.db").evaluate()


def test_explain_refuses_a_zoo_changed_since_the_recommendation(tmp_path: Path) -> None:
    zoo = zoorank.Zoo.create(tmp_path / "z.db")
    zoo.import_records(RUNS, model="m", dataset="task", accuracy="acc", modality="image")
    rec = zoo.recommend("t2", method="popularity")
    more = pd.DataFrame({"m": ["d"], "task": ["t1"], "acc": [0.95]})
    zoo.import_records(more, model="m", dataset="task", accuracy="acc", modality="image")
    with pytest.raises(zoorank.ZooValueError, match="the zoo changed"):
        rec.explain("a")
    assert "paths" in zoo.recommend("t2", method="popularity").explain("a")
