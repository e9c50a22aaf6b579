from django.contrib import admin

# The admin's home page also links the miner.php import and rig discovery.
admin.site.index_template = "admin/minerpanel_index.html"
