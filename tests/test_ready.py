"""Ready rows (rigs/web/ready.py): the farm tables written on the poller's side, read by a stateless web."""

import asyncio
import random
import re
import threading
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rigs.models import ReadyPart, ReadyRow, ReadyTable, Rig, Snapshot
from rigs.polling import hooks, poller
from rigs.readings.brief import make_brief
from rigs.web import ready, shares

from .base import BaseTestCase
from .test_pages import summary


def test_totals_kept_by_differences_are_the_totals_added_up_afresh():
    rng = random.Random(7)
    parts, sums = {}, {}
    for step in range(3000):
        rig = rng.randrange(40)
        names = rng.sample(["a|x|n", "a|x|hs", "a|y|n", "t|MHS av", "max|x|best", "pools"], rng.randint(0, 6))
        new = None if rng.random() < 0.1 else {n: rng.choice([0, 1, 3, 2.5, 1e6, 7]) for n in names}
        lowered = shares.apply(sums, parts.get(rig), new)
        parts[rig] = new
        if lowered:  # a largest value fell: added up again, as the writer does
            sums = shares.add_up(p for p in parts.values() if p)
        exact = shares.add_up(p for p in parts.values() if p)
        for name in set(exact) | set(sums):
            a, b = shares.total(exact, name), shares.total(sums, name)
            assert (a is None) == (b is None) and (a is None or abs(a - b) < 1e-6), (step, name, a, b)
            assert type(a) is type(b), (step, name, a, b)  # integers stay integers


def test_a_largest_value_that_falls_is_added_up_again():
    sums = shares.add_up([{"max|x|best": 10}, {"max|x|best": 4}])
    assert shares.total(sums, "max|x|best") == 10
    assert shares.apply(sums, {"max|x|best": 4}, {"max|x|best": 5}) is False  # not the largest
    assert shares.apply(sums, {"max|x|best": 10}, {"max|x|best": 12}) is False  # the largest grew
    assert shares.total(sums, "max|x|best") == 12
    assert shares.apply(sums, {"max|x|best": 12}, {"max|x|best": 1}) is True  # it fell: add up again


class ReadyRowsTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)

    def store(self, rig, accepted, when=None):
        """As the poller stores a batch: an upsert (no signal), then its hooks."""
        when = when or timezone.now()
        sections = {"SUMMARY": [summary(Accepted=accepted)]}
        Snapshot.objects.update_or_create(rig=rig, defaults={
            "sections": sections, "brief": make_brief(sections, {}), "polled_at": when, "last_ok_at": when})
        return hooks.after_batch([rig.id])

    def gone_quiet(self, n):
        """``n`` rigs polled a minute ago and not since, each written when its data was fresh; the last
        went quiet first (it turned first)."""
        long_ago = timezone.now() - timedelta(seconds=60)
        rigs = [Rig.objects.create(name=f"quiet{i}", host=f"10.7.0.{i + 1}") for i in range(n)]
        for i, rig in enumerate(rigs):
            when = long_ago + timedelta(seconds=n - i)
            with mock.patch("django.utils.timezone.now", return_value=when + timedelta(seconds=1)):
                self.store(rig, 5, when=when)
        return rigs

    def test_the_totals_follow_each_batch_and_match_a_whole_rebuild(self):
        rigs = [Rig.objects.create(name=f"t{i}", host=f"10.5.0.{i}") for i in range(5)]
        for i, rig in enumerate(rigs):
            self.store(rig, 100 * (i + 1))
        self.client.get("/overview/")
        changed = self.store(rigs[2], 1000)  # 300 -> 1000
        assert "summary" in changed[0]  # the announcement names the tables whose totals changed
        kept = ReadyTable.objects.get(key="summary")
        assert ">2,200<" in kept.head["foot"]  # 100 + 200 + 1000 + 400 + 500
        ready.rebuild_many({"summary": ready.wanted(timezone.now(), ["summary"])["summary"]})
        whole = ReadyTable.objects.get(key="summary")
        assert (whole.head, whole.rows, whole.problems) == (kept.head, kept.rows, kept.problems)

    def test_a_rig_deleted_leaves_the_totals_and_its_rows_go(self):
        a, b = (Rig.objects.create(name=n, host=f"10.6.0.{i}") for i, n in enumerate(("da", "db")))
        self.store(a, 111)
        self.store(b, 222)
        assert ">333<" in ReadyTable.objects.get(key="summary").head["foot"]
        b.delete()
        assert ">111<" in ReadyTable.objects.get(key="summary").head["foot"]
        assert not ReadyRow.objects.filter(name="db").exists()

    def test_a_batch_writes_again_only_the_rows_that_changed(self):
        when = timezone.now()
        rigs = [Rig.objects.create(name=f"w{i}", host=f"10.9.0.{i}") for i in range(3)]
        for i, rig in enumerate(rigs):
            self.store(rig, 10 * (i + 1), when=when)
        self.client.get("/overview/")
        ReadyRow.objects.update(text="as stored")  # each row rewritten from here on loses this
        with CaptureQueriesContext(connection) as queries:
            hooks.after_batch([r.id for r in rigs])  # the same data again: nothing to write
        assert ReadyRow.objects.exclude(text="as stored").count() == 0
        written = r'(INSERT INTO|DELETE FROM) "rigs_ready(row|part)"|UPDATE "rigs_readyrow"'  # parts: upserts
        assert not [q for q in queries if re.match(written, q["sql"])]
        self.store(rigs[1], 25, when=when)  # one cell of one rig changed: its summary rows, nothing else
        rewritten = set(ReadyRow.objects.exclude(text="as stored").values_list("table", "rig_id"))
        assert {rig for _, rig in rewritten} == {rigs[1].id}
        assert ("summary", rigs[1].id) in rewritten and not {"rigs", "devs", "pools"} & {t for t, _ in rewritten}
        assert ">25<" in ReadyRow.objects.get(table="summary", rig=rigs[1]).html
        assert ">65<" in ReadyTable.objects.get(key="summary").head["foot"]  # 10 + 25 + 30

    def test_a_table_keeps_its_stamp_while_nothing_of_it_changes(self):
        when = timezone.now()
        rigs = [Rig.objects.create(name=f"w{i}", host=f"10.9.0.{i}") for i in range(2)]
        for i, rig in enumerate(rigs):
            self.store(rig, 10 * (i + 1), when=when)
        self.client.get("/overview/")
        stamps = dict(ReadyTable.objects.values_list("key", "stamp"))
        hooks.after_batch([r.id for r in rigs])  # the same data again: the tables drawn for it still hold
        assert dict(ReadyTable.objects.values_list("key", "stamp")) == stamps
        self.store(rigs[1], 25, when=when)  # its summary row changed: that table is drawn again
        now = dict(ReadyTable.objects.values_list("key", "stamp"))
        assert now["summary"] != stamps["summary"] and now["devs"] == stamps["devs"]

    def test_a_rig_with_fewer_rows_loses_the_others(self):
        pools = [{"POOL": i, "URL": f"stratum+tcp://p{i}:3333", "Status": "Alive", "Priority": i} for i in range(3)]
        self.snapshot(sections={"SUMMARY": [summary()], "POOLS": pools})
        self.client.get("/overview/")
        assert ReadyRow.objects.filter(table="pools", rig=self.rig).count() == 3
        Snapshot.objects.filter(rig=self.rig).update(sections={"SUMMARY": [summary()], "POOLS": pools[:1]})
        hooks.after_batch([self.rig.id])
        assert list(ReadyRow.objects.filter(table="pools", rig=self.rig).values_list("seq", flat=True)) == [0]
        assert ReadyTable.objects.get(key="pools").rows == 1

    def test_a_table_found_outdated_by_several_pollers_is_built_whole_by_one(self):
        """At their first batch every poller shard found every table outdated and built each whole, from
        every rig: minutes a table at 100,000 rigs, four times over. The second finds it built from the
        same definition and writes its own rigs' rows into it."""
        rigs = [Rig.objects.create(name=f"s{i}", host=f"10.8.0.{i}") for i in range(3)]
        for i, rig in enumerate(rigs):
            sections = {"SUMMARY": [summary(Accepted=10 + i)]}
            Snapshot.objects.create(rig=rig, sections=sections, brief=make_brief(sections, {}),
                                    polled_at=timezone.now(), last_ok_at=timezone.now())
        built = []
        real = ready._write

        def counted(ids, specs, now, exact=True, in_view=False):
            built.append((sorted(specs), len(ids), exact))
            return real(ids, specs, now, exact, in_view)

        every = Rig.objects.count()
        # as each shard found them at the start of its first batch: every table outdated
        with mock.patch.object(ready, "_write", counted), mock.patch.object(ready, "outdated", list):
            ready.write([rigs[0].id], only=["summary"])  # shard 0 builds it whole
            generation = ReadyTable.objects.get(key="summary").generation
            Snapshot.objects.filter(rig=rigs[1]).update(sections={"SUMMARY": [summary(Accepted=99)]})
            ready.write([rigs[1].id], only=["summary"])  # shard 1 found it outdated too
        assert built == [(["summary"], every, False), (["summary"], 1, True)]  # one whole build, then one rig
        assert ReadyTable.objects.get(key="summary").generation == generation
        assert ">99<" in ReadyRow.objects.get(table="summary", rig=rigs[1]).html

    def test_a_table_dropped_by_the_sweep_while_a_view_begins_to_build_it_is_built(self):
        """A page's table is made (to be locked) when a view begins building it, and the poller's sweep
        may drop it at once (the page is not marked viewed before it is built): the view builds it, it
        does not fail (an HTTP 500 under benchload's first views)."""
        self.store(self.rig, 5)
        ReadyTable.objects.filter(key="summary").delete()
        spec = ready.wanted(timezone.now(), ["summary"])["summary"]
        with mock.patch.object(ReadyTable.objects, "get_or_create", lambda **kw: (None, False)):  # swept at once
            assert ready.rebuild_many({"summary": spec}) == ["summary"]
        assert ReadyTable.objects.get(key="summary").rows == 1

    @override_settings(STALE_AFTER=10)
    def test_with_no_poller_a_rig_turns_stale_on_the_next_view(self):
        rig = Rig.objects.create(name="quiet", host="10.7.0.1")
        long_ago = timezone.now() - timedelta(seconds=30)
        with mock.patch("django.utils.timezone.now", return_value=long_ago + timedelta(seconds=1)):
            self.store(rig, 5, when=long_ago)  # written when its data was a second old: fresh
        assert ReadyPart.objects.get(rig=rig).turns_at < timezone.now()
        page = self.client.get("/overview/").content.decode()  # no poll since: the view writes it again
        assert "stale: no answer for 30s" in page or "stale: no answer for 31s" in page
        assert ReadyPart.objects.get(rig=rig).turns_at is None  # stale stays stale: nothing more to turn

    @override_settings(STALE_AFTER=10, READY_TURNED_PER_VIEW=2)
    def test_a_view_writes_a_bounded_number_of_turned_rigs_the_longest_turned_first(self):
        rigs = self.gone_quiet(5)

        def still_turned():
            return sorted(ReadyPart.objects.filter(rig__in=rigs, turns_at__lte=timezone.now())
                          .values_list("rig__name", flat=True))

        assert len(still_turned()) == 5
        self.client.get("/overview/")
        assert still_turned() == ["quiet0", "quiet1", "quiet2"]  # two written, the longest turned
        self.client.get("/overview/")
        assert still_turned() == ["quiet0"]
        page = self.client.get("/overview/").content.decode()
        assert still_turned() == []
        assert page.count("stale: no answer for") >= 5

    @override_settings(STALE_AFTER=10, READY_TURNED_PER_VIEW=2)
    def test_views_at_once_write_different_turned_rigs_not_the_same_ones_twice(self):
        """Two web processes' views found the same turned rigs and both wrote them: each now claims the
        rigs it writes, and a view that comes while another writes takes the next ones."""
        rigs = self.gone_quiet(5)
        written = []
        real_write = ready.write

        def write(ids, **kw):  # while the first view writes its rigs, a second view comes
            written.append(sorted(Rig.objects.filter(id__in=ids).values_list("name", flat=True)))
            if len(written) == 1:
                with mock.patch.object(ready, "TURNING", threading.Lock()):  # in another web process
                    ready.refresh_turned()
            return real_write(ids, **kw)

        with mock.patch.object(ready, "write", write):
            ready.refresh_turned()
        assert written == [["quiet3", "quiet4"], ["quiet1", "quiet2"]]
        assert sorted(ReadyPart.objects.filter(rig__in=rigs, turns_at__lte=timezone.now())
                      .values_list("rig__name", flat=True)) == ["quiet0"]

    @override_settings(STALE_AFTER=10, READY_TURNED_PER_VIEW=2)
    def test_a_view_that_comes_while_another_of_its_process_writes_turned_rigs_reads_at_once(self):
        """With the pollers behind (10,000 rigs, benchload) every view of a web process wrote turned rigs,
        each behind the others for the GIL and the tables: pages of seconds. One view of a process at a
        time writes them; the others read at once, and the next view writes the next ones."""
        self.gone_quiet(5)
        written, second = [], []
        real_write = ready.write

        def write(ids, **kw):  # while the first view writes its rigs, a second view of the process comes
            written.append(len(ids))
            if len(written) == 1:
                second.append(ready.refresh_turned())
            return real_write(ids, **kw)

        with mock.patch.object(ready, "write", write):
            assert ready.refresh_turned() == 2
        assert second == [0] and written == [2]
        assert ready.refresh_turned() == 2  # the next view, the first done: the next ones

    @override_settings(STALE_AFTER=3600)
    def test_a_reason_says_since_when_once_it_is_a_minute_old_as_of_each_view(self):
        from rigs.web.display import clock
        from rigs.web.view_models import tz

        sections = {"SUMMARY": [summary()], "DEVS": [{"ASC": 0, "Name": "BTB", "ID": 0, "Status": "Sick"}]}
        brief = make_brief(sections, {})
        first_seen = brief["health"]["reasons"][0]["since"]
        Snapshot.objects.create(rig=self.rig, sections=sections, brief=brief, polled_at=timezone.now(),
                                last_ok_at=timezone.now())
        page = self.client.get("/overview/").content.decode()
        assert "ASC 0 Sick</td>" in page  # seen just now: no "since"
        later = timezone.now() + timedelta(seconds=90)
        with mock.patch("django.utils.timezone.now", return_value=later):  # the same rows, viewed later
            page = self.client.get("/overview/").content.decode()
            assert not ReadyPart.objects.filter(turns_at__lte=later).exists()  # not written again
        assert f"ASC 0 Sick since {clock(first_seen, tz())[:5]}</td>" in page

    def test_rigs_saved_without_the_poller_are_written_at_the_next_read(self):
        Rig.objects.bulk_create([Rig(name=f"bulk{i}", host=f"10.8.1.{i}") for i in range(3)])  # no signals
        page = self.client.get("/overview/").content.decode()
        assert all(f">bulk{i}<" in page for i in range(3))
        self.rig.name = "renamed"
        self.rig.save()
        assert ">renamed<" in self.client.get("/overview/").content.decode()

    def test_the_address_is_for_sys_users_only_from_the_same_rows(self):
        self.store(self.rig, 1)
        assert "10.0.0.5:4028" not in self.client.get("/overview/").content.decode()
        self.client.force_login(self.alice)
        page = self.client.get("/overview/").content.decode()
        assert '<td class="n" data-label="Address">10.0.0.5:4028</td></tr>' in page
        assert ReadyRow.objects.filter(table="rigs").count() == 1

    def test_a_page_grouped_across_rigs_is_computed_on_the_poller_side_when_due(self):
        from custompages import across
        from custompages.models import CustomPage, PageSection

        page = CustomPage.objects.create(name="g", slug="g")
        PageSection.objects.create(page=page, section="POOL", fields="URL\nAccepted", group="URL",
                                   calc="Accepted=sum")
        pools = [{"POOL": 0, "URL": "stratum+tcp://one:3333", "Status": "Alive", "Accepted": 5}]
        self.snapshot(sections={"POOLS": pools})
        assert "<td>5</td>" in self.client.get("/pages/g/").content.decode()  # the first view builds it
        other = Rig.objects.create(name="rig-b", host="10.0.0.9")
        self.snapshot(rig=other, sections={"POOLS": [dict(pools[0], Accepted=7)]})
        with override_settings(READY_GLOBAL_EVERY=3600):
            assert across.after_batch([other.id]) == []  # not due
        assert "<td>12</td>" not in self.client.get("/pages/g/").content.decode()
        with override_settings(READY_GLOBAL_EVERY=0.001):
            assert across.after_batch([other.id]) == [f"page:{page.pk}:0"]
        assert "<td>12</td>" in self.client.get("/pages/g/").content.decode()

    def test_a_section_across_rigs_is_computed_by_one_poller_and_not_oftener_than_its_cost_allows(self):
        """Every poller process found the section due after its batch and computed it, each over the whole
        farm (30 s at 100,000 rigs, four shards at once). Now the first claims it; and a section is
        computed again at the earliest SHARE times what it last took."""
        from custompages import across
        from custompages.models import CustomPage, PageSection

        page = CustomPage.objects.create(name="g", slug="g")
        PageSection.objects.create(page=page, section="POOL", fields="URL\nAccepted", group="URL",
                                   calc="Accepted=sum")
        self.snapshot(sections={"POOLS": [{"POOL": 0, "URL": "stratum+tcp://one:3333", "Status": "Alive",
                                          "Accepted": 5}]})
        self.client.get("/pages/g/")  # built
        key = f"page:{page.pk}:0"
        table = ReadyTable.objects.get(key=key)
        assert 0 <= table.head["took"] < 60
        later = table.built_at + timedelta(seconds=11)
        ReadyTable.objects.filter(key=key).update(head={**table.head, "took": 0.1})
        other_poller = []
        real = across.computed

        def computed(*args):  # while one poller computes it, another's batch ends
            if not other_poller:
                other_poller.append(across.refresh(later))
            return real(*args)

        with override_settings(READY_GLOBAL_EVERY=10), mock.patch.object(across, "computed", computed):
            assert across.refresh(later) == [key]
        assert other_poller == [[]]  # claimed by the first: not computed twice
        ReadyTable.objects.filter(key=key).update(head={**table.head, "took": 30.0})
        with override_settings(READY_GLOBAL_EVERY=10):
            assert across.refresh(later + timedelta(seconds=60)) == []  # 30 s a computation: 120 s apart
            assert across.refresh(later + timedelta(seconds=121)) == [key]

    def test_a_section_across_rigs_holds_one_rigs_reading_at_a_time_not_the_farms(self):
        """At 100,000 rigs this computation held every rig's read sections beside the engine's copies of
        them: the poller's peak of memory (2.5 GB a shard in benchscale). The rigs are now read one by one."""
        import gc

        from custompages import across
        from custompages.models import CustomPage, PageSection
        from rigs.web.rigdata import RigData

        page = CustomPage.objects.create(name="g", slug="g")
        PageSection.objects.create(page=page, section="POOL", fields="URL\nAccepted", group="URL",
                                   calc="Accepted=sum")
        pools = [{"POOL": 0, "URL": "stratum+tcp://one:3333", "Status": "Alive", "Accepted": 5}]
        for i in range(6):
            rig = self.rig if i == 0 else Rig.objects.create(name=f"rig-{i}", host=f"10.0.1.{i}")
            self.snapshot(rig=rig, sections={"POOLS": [dict(pools[0], Accepted=i)]})
        self.client.get("/pages/g/")  # viewed: kept by the poller's side
        held = []
        real = across.engine_rig

        def counting(rig, *args):
            held.append(sum(1 for o in gc.get_objects() if type(o) is RigData))
            return real(rig, *args)

        with mock.patch.object(across, "engine_rig", counting):
            assert across.refresh(timezone.now(), force=True) == [f"page:{page.pk}:0"]
        assert len(held) == 6 and max(held) <= 2, held  # every rig at once: 6
        assert "<td>15</td>" in self.client.get("/pages/g/").content.decode()  # 0+1+...+5, every rig counted


def test_the_poller_announces_a_batch_once(monkeypatch):
    """Over the channel layer when it is shared; under serve without one, its stdout line only."""
    from channels.layers import InMemoryChannelLayer

    sent, said = [], []

    class Shared:
        async def group_send(self, group, message):
            sent.append(message)

    monkeypatch.setattr(hooks.after_batch, "functions", [lambda ids: ["summary"]])
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda: Shared())
    asyncio.run(poller.stored([3, 1], lambda ids, tables: said.append(ids)))
    assert sent == [{"type": "rigs.updated", "rigs": [3, 1], "tables": ["summary"]}] and said == []
    memory = InMemoryChannelLayer()
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda: memory)
    monkeypatch.setattr(memory, "group_send", lambda *a: sent.append(a))
    asyncio.run(poller.stored([2], lambda ids, tables: said.append((ids, tables))))
    assert said == [([2], ["summary"])] and len(sent) == 1

