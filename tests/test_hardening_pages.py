"""Issue 14's findings about custom pages: imports checked and bounded, sections bounded, formulas
checked at save, and pages built once and shared (one test each, failing before the fix)."""

from .base import BaseTestCase


def import_file(data):
    import json
    import tempfile
    from io import StringIO

    from django.core.management import call_command

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        fh.write(data if isinstance(data, str) else json.dumps(data))
    out = StringIO()
    call_command("importpages", fh.name, stdout=out)
    return out.getvalue()


class PageImportTestCase(BaseTestCase):
    def refused(self, data, *expected):
        from django.core.management.base import CommandError

        from custompages.models import CustomPage

        before = list(CustomPage.objects.values_list("slug", flat=True))
        with self.assertRaises(CommandError) as caught:
            import_file(data)
        for text in expected:
            self.assertIn(text, str(caught.exception))
        self.assertEqual(list(CustomPage.objects.values_list("slug", flat=True)), before)
        return str(caught.exception)

    def test_a_bad_slug_is_refused_and_every_page_still_answers(self):
        self.refused([{"name": "x", "slug": "bad slug/<x>", "public": True, "sections": []}], "page 1", "slug:")
        for user in (None, self.bob):
            if user:
                self.client.force_login(user)
            self.assertIn(self.client.get("/").status_code, (200, 302))
            self.assertEqual(self.client.get("/login/").status_code, 200)

    def test_a_bad_slug_already_stored_breaks_no_page(self):
        from custompages.models import CustomPage

        CustomPage.objects.create(name="x", slug="bad slug/<x>", public=True)
        CustomPage.objects.create(name="ok", slug="ok", public=True)
        self.assertRedirects(self.client.get("/"), "/pages/ok/")
        self.assertEqual(self.client.get("/login/").status_code, 200)
        self.client.force_login(self.bob)
        r = self.client.get("/?all=1")
        self.assertContains(r, 'href="/pages/ok/"')
        self.assertNotContains(r, "bad slug")

    def test_wrong_types_are_named_not_tracebacks(self):
        self.refused("5", "must hold a page")
        self.refused([5], "page 1: a page is an object, not a whole number")
        self.refused([{"name": "a", "slug": "a", "order": "abc"}], "order must be a whole number, not text")
        self.refused([{"name": "a", "slug": "a", "sections": "SUMMARY"}], "sections must be a list, not text")
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "fields": ["Elapsed"]}]}],
                     "fields must be text, one entry per line, not a list")
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "id": 3}]}], "unknown key 'id'")

    def test_duplicates_and_long_names_are_refused(self):
        self.refused([{"name": "a", "slug": "a"}, {"name": "b", "slug": "a"}], "'a' is in the file twice")
        self.refused([{"name": "n" * 65, "slug": "a"}], "name: Ensure this value has at most 64 characters")

    def test_bounds_on_sections_and_fields(self):
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY"}] * 31}], "31 sections, at most 30")
        msg = self.refused([{"name": "a", "slug": "a",
                             "sections": [{"section": "SUMMARY", "fields": "Elapsed\n" * 5000}]}],
                           "fields: at most 20,000 characters")
        self.assertLess(len(msg), 2000)
        self.refused([{"name": "a", "slug": "a", "sections": [{"section": "SUMMARY", "fields": "A\n" * 300}]}],
                     "fields: at most 200 lines (this has 300)")

    def test_a_good_file_imports(self):
        from custompages.models import CustomPage

        out = import_file([{"name": "A", "slug": "a", "public": True,
                            "sections": [{"section": "SUMMARY", "fields": "Elapsed"}]}])
        self.assertIn("imported A (1 sections)", out)
        self.assertEqual(CustomPage.objects.get(slug="a").sections.get().fields, "Elapsed")


def admin_add_page(client, user, slug, **section):
    """POST the admin's add form of a page with one SUMMARY section."""
    client.force_login(user)
    return client.post("/admin/custompages/custompage/add/", {
        "name": slug, "slug": slug, "order": 0,
        "sections-TOTAL_FORMS": 1, "sections-INITIAL_FORMS": 0, "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 30, "sections-0-order": 0, "sections-0-section": "SUMMARY",
        **{f"sections-0-{k}": v for k, v in section.items()}}, follow=True)


class PageBoundsTestCase(BaseTestCase):
    def test_an_oversized_section_shows_its_error_in_its_place(self):
        """250,000 lines saved before the bounds: the view stays small and the other sections show."""
        from custompages.models import CustomPage, PageSection

        self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="big", slug="big", public=True)
        PageSection.objects.create(page=page, order=0, section="SUMMARY", fields="Elapsed\n" * 250_000)
        PageSection.objects.create(page=page, order=1, section="SUMMARY", title="small one", fields="Elapsed")
        r = self.client.get("/pages/big/")
        self.assertContains(r, "fields: at most 20,000 characters")
        self.assertContains(r, "small one")
        self.assertLess(len(r.content), 50_000)

    def test_the_admin_refuses_an_oversized_field_list(self):
        r = admin_add_page(self.client, self.root, "big", fields="Elapsed\n" * 3000)
        self.assertContains(r, "at most 20,000 characters")
        from custompages.models import CustomPage

        self.assertFalse(CustomPage.objects.filter(slug="big").exists())

    def test_rows_rendered_per_table_are_bounded(self):
        from custompages import render
        from custompages.models import CustomPage, PageSection

        self.snapshot(sections={"DEVS": [{"ASC": i, "ID": i, "MHS av": 1.0} for i in range(render.MAX_ROWS + 5)]})
        page = CustomPage.objects.create(name="devs", slug="devs", public=True)
        PageSection.objects.create(page=page, section="DEVS", fields="ID")
        from django.conf import settings

        table = render.page_context(None, page)["blocks"][0]["table"]  # a view: a page of rows
        self.assertEqual(len(table.rows), settings.TABLE_ROWS)
        table = render.page_context(None, page, whole=True)["blocks"][0]["table"]  # the API: at most MAX_ROWS
        self.assertEqual(len(table.rows), render.MAX_ROWS)
        self.assertEqual(table.pager.total, render.MAX_ROWS + 5)


# ---------------------------------------------------------------- formulas checked at save


class FormulaAtSaveTestCase(BaseTestCase):
    def section(self, gen):
        from custompages.models import CustomPage, PageSection

        page, _ = CustomPage.objects.get_or_create(name="f", slug="f")
        return PageSection(page=page, section="SUMMARY", fields="Accepted\nGEN.x", gen=f"x={gen}")

    def test_formulas_that_can_never_compute_are_refused(self):
        from django.core.exceptions import ValidationError

        for gen, reason in (("1/0", "division by zero"), ("'a'*10**9", "'a' is not a number"),
                            ("Accepted/(Accepted-Accepted)", "division by zero")):
            with self.assertRaises(ValidationError) as caught:
                self.section(gen).full_clean()
            self.assertIn(f"can never be computed ({reason})", str(caught.exception))
        self.section("Accepted/max(Rejected,1)").full_clean()  # computes for real rows

    def test_a_misspelt_field_saves_with_a_warning(self):
        from custompages.models import section_warnings

        section = self.section("Acceptd+1")
        section.full_clean()
        section.save()
        self.assertEqual(section_warnings(section),
                         ["SUMMARY: gen 'x': no rig sends a field 'Acceptd': check its spelling "
                          "(a field name with spaces is written as is or in double quotes)"])
        self.assertEqual(section_warnings(self.section("Accepted+1")), [])
        out = import_file([{"name": "g", "slug": "g", "sections": [{"section": "SUMMARY", "gen": "x=Acceptd+1"}]}])
        self.assertIn("warning: SUMMARY: gen 'x': no rig sends a field 'Acceptd'", out)

    def test_the_admin_shows_the_warning(self):
        r = admin_add_page(self.client, self.root, "g", fields="GEN.x", gen="x=Acceptd+1")
        self.assertContains(r, "no rig sends a field &#x27;Acceptd&#x27;")


class SharedPageBuildTestCase(BaseTestCase):
    """Pages are computed on the poller's side, once per batch for every viewer (ready rows): a view
    computes nothing, whatever the tier."""

    def test_a_page_is_computed_once_per_poll_and_edit_and_never_by_a_view(self):
        from unittest import mock

        from django.utils import timezone

        from custompages import engine
        from custompages.models import CustomPage, PageSection
        from rigs.models import Snapshot
        from rigs.polling import hooks

        snap = self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="p", slug="p", public=True)
        section = PageSection.objects.create(page=page, section="SUMMARY", fields="Elapsed")
        with mock.patch.object(engine, "build_section", wraps=engine.build_section) as build:
            def built():  # this page's section (the Summary page's are written beside it)
                return sum(1 for call in build.call_args_list if call.args[0]["fields"][0].startswith("Elapsed"))

            self.assertContains(self.client.get("/pages/p/"), "<td>5s</td>")  # the first view builds it
            self.assertEqual(built(), 1)
            self.assertContains(self.client.get("/pages/p/"), "<td>5s</td>")
            self.assertEqual(built(), 1)
            Snapshot.objects.filter(pk=snap.pk).update(sections={"SUMMARY": [{"Elapsed": 7}]}, polled_at=timezone.now())
            hooks.after_batch([self.rig.pk])  # the poller, after storing the batch: the page's rows of that rig
            self.assertEqual(built(), 2)
            self.assertContains(self.client.get("/pages/p/"), "<td>7s</td>")
            section.fields = "Elapsed=Up"
            section.save()
            self.assertContains(self.client.get("/pages/p/"), "<th scope=\"col\">Up</th>")  # an edit: again
            self.assertEqual(built(), 3)

    def test_the_overview_is_built_once_per_change_for_every_tier(self):
        from unittest import mock

        from rigs.web import overview_tables

        self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        with mock.patch.object(overview_tables, "_summary_rows", wraps=overview_tables._summary_rows) as build:
            self.client.force_login(self.bob)
            self.client.get("/overview/")  # the snapshot saved (not by the poller): written by this first read
            self.client.get("/overview/", HTTP_HX_REQUEST="true")
            self.assertEqual(build.call_count, 1)
            self.client.force_login(self.alice)  # sys sees addresses: the same rows, the Address cell beside
            self.assertContains(self.client.get("/overview/"), "10.0.0.5:4028")
            self.assertEqual(build.call_count, 1)
            self.rig.description = "moved to rack 2"  # an edit in the admin
            self.rig.save()
            self.assertContains(self.client.get("/overview/"), "moved to rack 2")
            self.assertEqual(build.call_count, 2)
        self.client.force_login(self.bob)
        self.assertNotContains(self.client.get("/overview/"), "10.0.0.5:4028")

    def test_what_was_viewed_is_written_after_a_poll_before_anyone_asks(self):
        from unittest import mock

        from django.utils import timezone

        from custompages import engine
        from custompages.models import CustomPage, PageSection
        from rigs.models import Snapshot
        from rigs.polling import hooks
        from rigs.web import overview_tables

        snap = self.snapshot(sections={"SUMMARY": [{"Elapsed": 5}]})
        page = CustomPage.objects.create(name="p", slug="p", public=True)
        PageSection.objects.create(page=page, section="SUMMARY", fields="Elapsed")
        self.client.force_login(self.bob)
        self.client.get("/overview/")
        self.client.get("/pages/p/")
        Snapshot.objects.filter(pk=snap.pk).update(sections={"SUMMARY": [{"Elapsed": 7}]}, polled_at=timezone.now())
        hooks.after_batch([self.rig.pk])  # what the poller does after storing a batch
        with (mock.patch.object(overview_tables, "_summary_rows") as overview,
              mock.patch.object(engine, "build_section") as build):
            self.client.get("/overview/")
            self.assertContains(self.client.get("/pages/p/"), "<td>7s</td>")
        self.assertEqual((overview.call_count, build.call_count), (0, 0))
