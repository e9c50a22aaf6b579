<?php
session_start();
#
global $title, $rigs, $userlist, $customsummarypages;
#
# The top of a miner.php edited in place (no myminer.php), with its built-in Stats page.
$title = 'Mine';
$readonly = false;
$userlist = null;
$notify = true;
$rigport = 4028;
$rigs = array('127.0.0.1:4028');
$mcast = false;
$allowgen = false;
$hidefields = array();
#
$statspage = array(
 'DATE' => null,
 'RIGS' => null,
 'SUMMARY' => array('Elapsed', 'MHS av', 'Found Blocks=Blks', 'Accepted', 'Rejected=Rej', 'Utility',
			'Hardware Errors=HW Errs', 'Network Blocks=Net Blks', 'Work Utility'),
 'COIN' => array('*'),
 'STATS' => array('*'));
$statssum = array(
 'SUMMARY' => array('MHS av', 'Found Blocks', 'Accepted', 'Rejected', 'Utility', 'Hardware Errors', 'Work Utility'));
$poolsext = array('POOL' => array('gen' => array('AvShr' => 'round(Difficulty Accepted/max(Accepted,1)*100)/100')));
$customsummarypages = array('Stats' => array($statspage, $statssum),
 'Pool shares' => array(array('POOL' => array('URL', 'GEN.AvShr=AvShr')), array(), $poolsext));
#
$here = $_SERVER['PHP_SELF'];
$dfmt = 'H:i:s j-M-Y \\U\\T\\CP';
if (file_exists('myminer.php'))
 include_once('myminer.php');
#
function getcss($cssname, $dom = false)
{
 global $colourtable, $colouroverride;
 $css = '';
 return $css;
}
?>
<table><tr><td>HTML after the code is not read</td></tr></table>
