<?php
# The custom pages of the miner.php manual (API-README), the listings' missing quotes
# restored; the gen is written as the manual writes it: array('AvShr', 'formula').
$mobilepage = array( 'DATE' => null, 'RIGS' => null, 'SUMMARY' => array('Elapsed', 'MHS av', 'Found Blocks=Blks', 'Accepted', 'Rejected=Rej', 'Utility'), 'DEVS+NOTIFY' => array('DEVS.Name=Name', 'DEVS.ID=ID', 'DEVS.Status=Status', 'DEVS.Temperature=Temp', 'DEVS.MHS av=MHS av', 'DEVS.Accepted=Accept', 'DEVS.Rejected=Rej', 'DEVS.Utility=Utility', 'NOTIFY.Last Not Well=Not Well'), 'POOL' => array('POOL', 'Status', 'Accepted', 'Rejected=Rej', 'Last Share Time'));

$mobilesum = array( 'SUMMARY' => array('MHS av', 'Found Blocks', 'Accepted', 'Rejected', 'Utility'), 'DEVS+NOTIFY' => array('DEVS.MHS av', 'DEVS.Accepted', 'DEVS.Rejected', 'DEVS.Utility'), 'POOL' => array('Accepted', 'Rejected'));

$poolspage = array(
 'DATE' => null,
 'RIGS' => null,
 'POOL+STATS' => array('STATS.ID=ID', 'POOL.URL=URL', 'POOL.Difficulty Accepted=Diff Acc',
			'STATS.Bytes Recv=BRecv', 'GEN.AvShr=AvShr'));
$poolssum = array('POOL+STATS' => array('POOL.Difficulty Accepted', 'STATS.Bytes Recv'));
$poolsext = array( 'POOL+STATS' => array( 'where' => null, 'group' => array('POOL.URL', 'POOL.Has Stratum', 'POOL.Stratum Active', 'POOL.Has GBT'), 'calc' => array('POOL.Difficulty Accepted' => 'sum', 'POOL.Difficulty Rejected' => 'sum', 'STATS.Times Sent' => 'sum', 'STATS.Bytes Sent' => 'sum', 'STATS.Times Recv' => 'sum', 'STATS.Bytes Recv' => 'sum'), 'gen' => array('AvShr', 'POOL.Difficulty Accepted/max(POOL.Accepted,1)'), 'having' => array(array('STATS.Bytes Recv', '>', 0))) );

$customsummarypages = array('Mobile' => array($mobilepage, $mobilesum),
 'Pools' => array($poolspage, $poolssum, $poolsext));
