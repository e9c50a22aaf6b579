<?php
#
# myminer.php for the two rigs at home
#
$title = 'Home mining';
$readonly = false;
$userlist = array('sys' => array('admin' => 'ChangeMe-2014'),
		'usr' => array('kid' => 'lookonly'),
		'def' => array('Mobile'));
$rigs = array('192.168.1.20:4028:Garage', '192.168.1.21:4028:Attic');
$hidefields = array('POOL.User' => 1);
$autorefresh = 30;
$checklastshare = false;
$dfmt = 'H:i:s j-M-Y';
$socksndtimeoutsec = 3;
$sockrcvtimeoutsec = 10;
// no closing tag on purpose
