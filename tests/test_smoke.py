from conftest import collect_once, config_for, items, rss_doc

from narratives.loopback import static


def test_collect_stores_every_item_once(server, store):
    url = server.add("/a.xml", static(rss_doc(items(5))))
    report = collect_once(store, config_for({"a": [url]}))
    assert [r.outcome for r in report.results] == ["ok"]
    assert store.scalar("SELECT COUNT(*) FROM articles") == 5
    report = collect_once(store, config_for({"a": [url]}), force=True)
    assert [r.outcome for r in report.results] == ["not_modified"]
    assert store.scalar("SELECT COUNT(*) FROM articles") == 5
