"""Sites, racks, placements and tags: their validation, and the queries of farm/scope.py."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from farm import scope
from farm.models import Maintenance, Placement, Rack, Site, Tag
from rigs.models import Rig

pytestmark = pytest.mark.django_db


def rigs(n, prefix="r"):
    return Rig.objects.bulk_create([Rig(name=f"{prefix}{i:03d}", host=f"{prefix}.example", port=5000 + i)
                                    for i in range(n)])


@pytest.fixture
def oslo():
    site = Site.objects.create(name="Oslo")
    return site, Rack.objects.create(site=site, name="A1", rows=4, columns=3)


def test_a_slot_is_inside_its_rack_and_holds_one_rig(oslo):
    site, rack = oslo
    a, b = rigs(2)
    Placement(rig=a, site=site, rack=rack, row=4, column=3).full_clean()
    with pytest.raises(ValidationError) as outside:
        Placement(rig=a, site=site, rack=rack, row=5, column=1).full_clean()
    assert outside.value.message_dict["row"] == ["Rack A1 has 4 row(s): row 5 is outside it."]
    with pytest.raises(ValidationError) as wide:
        Placement(rig=a, site=site, rack=rack, row=1, column=4).full_clean()
    assert "column 4 is outside it" in wide.value.message_dict["column"][0]
    Placement.objects.create(rig=a, site=site, rack=rack, row=2, column=2)
    with pytest.raises(ValidationError) as taken:
        Placement(rig=b, site=site, rack=rack, row=2, column=2).full_clean()
    assert taken.value.message_dict["row"] == ["Row 2, column 2 of rack A1 holds r000 already."]
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        Placement.objects.create(rig=b, site=site, rack=rack, row=2, column=2)
    # the same rig saved again in its own slot is no clash; any number stand in a rack without a slot
    Placement.objects.get(rig=a).full_clean()
    Placement.objects.create(rig=b, site=site, rack=rack)
    Placement(rig=rigs(1, "x")[0], site=site, rack=rack).full_clean()


def test_half_a_slot_a_slot_without_a_rack_and_a_rack_of_another_site(oslo):
    site, rack = oslo
    (a,) = rigs(1)
    with pytest.raises(ValidationError) as half:
        Placement(rig=a, site=site, rack=rack, row=1).full_clean()
    assert half.value.message_dict["column"] == ["A slot needs both its row and its column."]
    with pytest.raises(ValidationError) as loose:
        Placement(rig=a, site=site, row=1, column=1).full_clean()
    assert "choose the rack" in loose.value.message_dict["rack"][0]
    bergen = Site.objects.create(name="Bergen")
    with pytest.raises(ValidationError) as elsewhere:
        Placement(rig=a, site=bergen, rack=rack).full_clean()
    assert elsewhere.value.message_dict["rack"] == ["Rack A1 is in site Oslo, not in Bergen."]


def test_a_rack_never_shrinks_below_its_rigs_and_names_are_checked(oslo):
    site, rack = oslo
    (a,) = rigs(1)
    Placement.objects.create(rig=a, site=site, rack=rack, row=3, column=2)
    rack.rows = 2
    with pytest.raises(ValidationError, match="r000 stands at row 3, column 2"):
        rack.full_clean()
    rack.rows, rack.columns = 3, 2
    rack.full_clean()
    with pytest.raises(ValidationError):
        Rack(site=site, name="big", rows=201, columns=1).full_clean()
    with pytest.raises(ValidationError, match="not a time zone"):
        Site(name="Nowhere", timezone="Mars/Olympus").full_clean()
    Site(name="Chicago", timezone="America/Chicago").full_clean()
    with pytest.raises(ValidationError):
        Site(name=" padded ").full_clean()


def test_deleting_a_rack_keeps_its_rigs_in_the_site_out_of_any_slot(oslo):
    site, rack = oslo
    (a,) = rigs(1)
    Placement.objects.create(rig=a, site=site, rack=rack, row=1, column=1)
    rack.delete()
    p = Placement.objects.get(rig=a)
    assert (p.site_id, p.rack_id, p.row, p.column) == (site.pk, None, None, None)
    site.delete()
    assert not Placement.objects.exists() and Rig.objects.filter(pk=a.pk).exists()


def test_rigs_in_a_site_a_rack_a_tag(oslo):
    site, rack = oslo
    other = Site.objects.create(name="Bergen")
    also_a1 = Rack.objects.create(site=other, name="A1", rows=1, columns=1)
    a, b, c, d = rigs(4)
    Placement.objects.create(rig=a, site=site, rack=rack, row=1, column=1)
    Placement.objects.create(rig=b, site=site)
    Placement.objects.create(rig=c, site=other, rack=also_a1, row=1, column=1)
    hot = Tag.objects.create(name="hot")
    hot.rigs.add(a, c, d)

    def names(**kw):
        return sorted(scope.rigs_in(**kw).values_list("name", flat=True))

    assert names(site="Oslo") == names(site=site) == names(site=site.pk) == ["r000", "r001"]
    assert names(rack="A1") == ["r000", "r002"]  # by name alone: A1 of every site
    assert names(site="Oslo", rack="A1") == names(rack=rack) == ["r000"]
    assert names(tag="hot") == names(tag=hot) == ["r000", "r002", "r003"]
    assert names(site="Bergen", tag="hot") == ["r002"]
    assert names(site="Nowhere") == []
    assert len(names()) == 4


def test_places_of_in_two_queries_whatever_the_number(oslo):
    site, rack = oslo
    a, b, c = rigs(3)
    Placement.objects.create(rig=a, site=site, rack=rack, row=2, column=3)
    Placement.objects.create(rig=b, site=site)
    for name in ("zeta", "alpha"):
        Tag.objects.create(name=name).rigs.add(a)
    with CaptureQueriesContext(connection) as queries:
        places = scope.places_of([a.pk, b.pk, c.pk, 999_999])
    assert len(queries) == 2
    assert places[a.pk] == {"site": "Oslo", "rack": "A1", "position": "2,3", "tags": ["alpha", "zeta"]}
    assert places[b.pk] == {"site": "Oslo", "rack": "", "position": "", "tags": []}
    assert places[c.pk] == places[999_999] == {"site": "", "rack": "", "position": "", "tags": []}
    many = rigs(scope.IN_LIST + 5, "m")  # past the IN list: the whole table, still two queries
    Placement.objects.bulk_create([Placement(rig=r, site=site) for r in many])
    with CaptureQueriesContext(connection) as queries:
        places = scope.places_of([r.pk for r in many] + [a.pk])
    assert len(queries) == 2 and len(places) == len(many) + 1
    assert places[many[-1].pk]["site"] == "Oslo" and places[a.pk]["position"] == "2,3"


def test_maintenance_of_a_rig_a_rack_a_site_active_only_in_its_window(oslo):
    site, rack = oslo
    a, b, c, d = rigs(4)
    Placement.objects.create(rig=a, site=site, rack=rack, row=1, column=1)
    Placement.objects.create(rig=b, site=site)
    now = timezone.now()
    hour = timedelta(hours=1)
    Maintenance.objects.create(rack=rack, reason="new PDU", starts=now - hour, ends=now + hour, by="alice")
    assert scope.in_maintenance(now) == {a.pk}
    Maintenance.objects.create(rig=c, reason="fans", starts=now - hour, ends=now + 3 * hour, by="bob")
    Maintenance.objects.create(site=site, reason="power work", starts=now + hour, ends=now + 2 * hour, by="carol")
    Maintenance.objects.create(rig=d, reason="over", starts=now - 2 * hour, ends=now - hour, by="dave")
    assert scope.in_maintenance(now) == {a.pk, c.pk}
    later = now + hour + timedelta(minutes=1)  # the rack's window is over, the site's has begun
    assert scope.in_maintenance(later) == {a.pk, b.pk, c.pk}
    for t in (now, later, now + 4 * hour):  # the queryset says the same
        assert set(Rig.objects.filter(id__in=scope.rigs_in_maintenance(t)).values_list("id", flat=True)) == \
            scope.in_maintenance(t)
    assert scope.in_maintenance(now + 4 * hour) == set()  # ended by itself
    w = scope.maintenance_of(a.pk, now)
    assert (w.scope, w.by, w.reason, w.ends) == ("rack", "alice", "new PDU", now + hour)
    assert w.label == "rack Oslo / A1" and "new PDU" in w.text
    assert scope.maintenance_of(d.pk, now) is None
    with pytest.raises(IntegrityError), transaction.atomic():  # one scope, never two
        Maintenance.objects.create(rig=a, site=site, reason="x", starts=now, ends=now + hour, by="x")


def test_the_longest_window_is_the_one_shown(oslo):
    site, rack = oslo
    (a,) = rigs(1)
    Placement.objects.create(rig=a, site=site, rack=rack)
    now = timezone.now()
    Maintenance.objects.create(site=site, reason="long", starts=now, ends=now + timedelta(days=2), by="x")
    Maintenance.objects.create(rig=a, reason="short", starts=now, ends=now + timedelta(hours=1), by="y")
    assert scope.maintenance_of(a.pk, now).reason == "long"
    assert scope.maintenance_by_rig(now, [a.pk])[a.pk].scope == "site"
