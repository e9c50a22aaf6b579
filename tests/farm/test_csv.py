"""Placing a farm from a CSV file: a real-looking file of 500 rigs (Excel's ; with a BOM and CRLF), the
dry run, errors named by line, all or nothing, and the export read back unchanged."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from farm.csvio import export
from farm.csvplan import import_csv
from farm.models import Placement, Rack, Site, Tag
from rigs.models import AuditEntry, Rig

pytestmark = pytest.mark.django_db


def farm_of(n=500):
    return Rig.objects.bulk_create([Rig(name=f"S19-{i:04d}", host=f"10.1.{i // 250}.{i % 250 + 1}", port=4028)
                                    for i in range(n)])


def excel_file(rigs, sep=";"):
    """What Excel writes in most of Europe ("CSV UTF-8"): a BOM, ; between cells, CRLF, a header."""
    lines = [sep.join(["Rig", "Site", "Rack", "Row", "Column", "Tags"])]
    for i, rig in enumerate(rigs):
        site = "Oslo" if i < 300 else "Trondheim"
        rack = f"R{(i % 300) // 50 + 1:02d}"  # 50 machines a rack: 10 rows of 5
        slot = i % 50
        tags = "S19|immersion" if i % 3 == 0 else "S19"
        key = rig.name if i % 7 else f"{rig.host}:{rig.port}"  # some by address
        lines.append(sep.join([key, site, rack, str(slot // 5 + 1), str(slot % 5 + 1), tags]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_five_hundred_rigs_from_excel_a_dry_run_then_the_import():
    rigs = farm_of()
    data = excel_file(rigs)
    dry = import_csv(data, dry_run=True)
    assert dry.errors == []
    assert dry.changed == 500 and dry.unchanged == 0
    assert dry.new_sites == ["Oslo", "Trondheim"]
    assert dry.new_racks[("Oslo", "R01")] == (10, 5)  # sized to fit
    assert len(dry.new_racks) == 10 and dry.new_tags == ["S19", "immersion"]
    assert "line 2: S19-0000: site — → Oslo; rack — → R01; slot — → 1,1; tags +S19 +immersion" in dry.changes
    assert not Site.objects.exists() and not Placement.objects.exists()  # a dry run writes nothing

    done = import_csv(data)
    assert done.errors == [] and Placement.objects.count() == 500
    p = Placement.objects.select_related("site", "rack").get(rig__name="S19-0057")
    assert (p.site.name, p.rack.name, p.row, p.column) == ("Oslo", "R02", 2, 3)
    assert list(Rig.objects.get(name="S19-0300").tags.values_list("name", flat=True)) == ["S19", "immersion"]
    assert Rack.objects.get(site__name="Trondheim", name="R04").rows == 10
    again = import_csv(data, dry_run=True)  # the same file again: nothing to do
    assert again.changed == 0 and again.unchanged == 500 and again.new_sites == [] and again.new_racks == {}


def test_errors_name_their_line_and_nothing_is_written():
    rigs = farm_of(6)
    Site.objects.create(name="Oslo")
    text = "\n".join([
        "rig,site,rack,row,column,tags",
        "S19-0000,Oslo,A,1,1,",
        "no-such-rig,Oslo,A,1,2,",           # line 3: unknown rig
        "S19-0001,Oslo,A,1,1,",              # line 4: the slot of line 2
        "S19-0000,Oslo,A,2,2,",              # line 5: the rig of line 2 again
        "S19-0002,Oslo,A,two,1,",            # line 6: not a number
        "S19-0003,Oslo,A,1,,",               # line 7: half a slot
        "S19-0004,Oslo,,1,1,",               # line 8: a slot without a rack
        "S19-0005,Oslo,A,1,99,",             # line 9: past the widest rack
        f"{rigs[0].host}:1,Oslo,A,3,3,",     # line 10: an address no rig has
    ])
    p = import_csv(text.encode())
    assert p.errors == [
        "line 3: no rig named or at 'no-such-rig'",
        "line 5: S19-0000 is on line 2 already",
        "line 6: row 'two' is not a whole number from 1 to 200",
        "line 7: a slot needs both its row and its column",
        "line 8: row 1, column 1 without a rack",
        "line 9: column '99' is not a whole number from 1 to 64",
        f"line 10: no rig named or at '{rigs[0].host}:1'",
    ]
    assert not Placement.objects.exists() and not Rack.objects.exists()  # all or nothing
    slot = import_csv(b"rig,site,rack,row,column\nS19-0000,Oslo,A,1,1\nS19-0001,Oslo,A,1,1\n")
    assert slot.errors == ["line 3: row 1, column 1 of Oslo / A is given to S19-0000 on line 2 too"]
    assert not Placement.objects.exists()


def test_a_slot_held_by_a_rig_the_file_does_not_move():
    a, b, c = farm_of(3)
    site = Site.objects.create(name="Oslo")
    rack = Rack.objects.create(site=site, name="A", rows=2, columns=2)
    Placement.objects.create(rig=a, site=site, rack=rack, row=1, column=1)
    Placement.objects.create(rig=b, site=site, rack=rack, row=1, column=2)
    p = import_csv(b"rig,site,rack,row,column\nS19-0002,oslo,a,1,1\n")  # names match whatever their case
    assert p.errors == ["line 2: row 1, column 1 of Oslo / A holds S19-0000, which this file does not move"]
    # two rigs swap their slots in one file: fine, and the third grows the rack
    swap = import_csv(b"rig,site,rack,row,column\nS19-0000,Oslo,A,1,2\nS19-0001,Oslo,A,1,1\nS19-0002,Oslo,A,3,1\n")
    assert swap.errors == []
    assert swap.notes == ["rack Oslo / A grows from 2×2 to 3×2 to hold the slots the file names"]
    slots = dict(Placement.objects.values_list("rig__name", "column"))
    assert slots == {"S19-0000": 2, "S19-0001": 1, "S19-0002": 1}
    assert Rack.objects.get().rows == 3 and Site.objects.count() == 1


def test_an_empty_site_takes_a_rig_out_and_empty_tags_take_them_off():
    (a,) = farm_of(1)
    import_csv(b"rig,site,rack,row,column,tags\nS19-0000,Oslo,A,1,1,hot;new\n")
    assert Placement.objects.filter(rig=a).exists() and a.tags.count() == 2
    p = import_csv(b"rig,site,rack,row,column,tags\nS19-0000,,,,,\n")
    assert p.errors == [] and p.changes == ["line 2: S19-0000: site Oslo → —; rack A → —; slot 1,1 → —; tags −hot −new"]
    assert not Placement.objects.filter(rig=a).exists() and a.tags.count() == 0
    assert Tag.objects.count() == 2  # the tags themselves stay


def test_files_that_are_not_placement_files():
    farm_of(1)
    assert import_csv("S19-0000,Øslo\n".encode("latin-1")).errors == [
        "line 1: not UTF-8 (byte 10 of the file); in Excel, save as “CSV UTF-8 (comma delimited)”"]
    assert import_csv(b"rig,site,colour\nS19-0000,Oslo,red\n").errors == [
        "line 1: unknown column 'colour' (known: rig, site, rack, row, column, tags)"]
    assert import_csv(b"").errors == ["the file has no rig"]
    assert import_csv(b"rig,site\nS19-0000,Oslo,A,1,1,x,y\n").errors == [
        "line 2: 7 cells, but 2 columns (rig, site)"]
    with override_settings(FARM_CSV_MAX_BYTES=100):
        assert import_csv(b"x" * 101).errors == [
            "the file is 101 bytes, more than FARM_CSV_MAX_BYTES (100): split it"]
    with override_settings(FARM_CSV_MAX_ROWS=2):
        errors = import_csv(b"rig,site\na,b\nc,d\ne,f\n").errors
        assert errors == ["line 4: more than FARM_CSV_MAX_ROWS (2) rigs: split the file"]
    # no header: the columns in their usual order; a host alone when one rig has it
    assert import_csv(b"10.1.0.1,Oslo,A,1,1,x\n").errors == []
    assert Placement.objects.get().site.name == "Oslo"


def test_the_export_is_safe_in_a_spreadsheet_and_reads_back_unchanged():
    farm_of(3)
    Rig.objects.create(name="=HYPERLINK(evil)", host="10.9.9.9")
    import_csv(b"rig,site,rack,row,column,tags\nS19-0000,+Oslo,A,1,1,@hot|-cold\nS19-0001,Oslo,,,,S19\n"
               b"'=HYPERLINK(evil),@Bergen,,,,\n")
    assert Site.objects.filter(name="@Bergen").exists()  # the ' of a formula-safe cell is taken off on import
    out = io.StringIO()
    assert export(out) == 4
    text = out.getvalue()
    assert text.splitlines() == [
        "rig,site,rack,row,column,tags",
        "'=HYPERLINK(evil),'@Bergen,,,,",  # by name: = before S
        "S19-0000,'+Oslo,A,1,1,'-cold|@hot",
        "S19-0001,Oslo,,,,S19",
        "S19-0002,,,,,",
    ]
    assert text.endswith("\r\n")
    again = import_csv(text.encode())
    assert again.errors == [] and again.changed == 0 and again.unchanged == 4


def test_the_command_dry_run_import_export_and_audit(tmp_path):
    farm_of(2)
    path = tmp_path / "farm.csv"
    path.write_bytes(b"rig;site;rack;row;column;tags\r\nS19-0000;Oslo;A;1;1;hot\r\nS19-0001;Oslo;A;1;2;\r\n")
    out = io.StringIO()
    call_command("placerigs", "import", str(path), "--dry-run", stdout=out)
    assert "line 2: S19-0000: site — → Oslo" in out.getvalue() and "Dry run: nothing was written." in out.getvalue()
    assert not Placement.objects.exists() and not AuditEntry.objects.exists()
    call_command("placerigs", "import", str(path), stdout=io.StringIO())
    assert Placement.objects.count() == 2
    entry = AuditEntry.objects.get()
    assert entry.command == "farm-import" and entry.params["rigs"] == 2 and "new site Oslo" in entry.message
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"rig,site\nnobody,Oslo\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("placerigs", "import", str(bad), stderr=err)
    assert "line 2: no rig named or at 'nobody'" in err.getvalue()
    exported = io.StringIO()
    call_command("placerigs", "export", "--delimiter", ";", stdout=exported, stderr=io.StringIO())
    assert exported.getvalue().splitlines()[1] == "S19-0000;Oslo;A;1;1;hot"
