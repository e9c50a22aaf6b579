"""Where the rigs are and what is done to them as a group: sites, racks, positions and tags
(models.py), maintenance windows, the queries other apps ask (scope.py), the CSV import and export
(csvio.py), the rack map (/map/) and its live push."""
