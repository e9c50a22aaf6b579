from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .models import Rig
from .overview import rig_rows


@login_required
def rig_list(request):
    now = timezone.now()
    rigs = Rig.objects.select_related("snapshot")
    ctx = {"rows": rig_rows(rigs, now), "now": now, "show_address": request.user.is_superuser}
    template = "rigs/_rig_table.html" if request.htmx else "rigs/rig_list.html"
    return render(request, template, ctx)
