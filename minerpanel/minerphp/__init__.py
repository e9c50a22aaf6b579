"""Moving over from miner.php: php_reader reads a myminer.php without PHP, plan turns its
settings into a Plan (pages translates its custom pages and formulas), carryover writes the
plan to the database in one transaction, views is the admin's upload page."""
