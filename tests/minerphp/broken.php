<?php
$title = 'Broken farm';
$rigs = array('10.0.0.1:4028:a',
              '10.0.0.2:4028:b'
              '10.0.0.3:4028:c');
$userlist = array('sys' => array('admin' => "pw-$suffix"));
$hidefields = strtolower('POOL.URL');
if ($x) { $rigs[] = '10.0.0.9'; }
