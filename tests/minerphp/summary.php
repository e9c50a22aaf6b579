<?php
/* Our own default page: every rig's hash rate and temperatures, the pools grouped.
   miner.php shows the page named Summary instead of its built-in one. */
$rigs = ['[::1]:4028:local6', 'miner-a.lan:4030'];
$userlist = ['sys' => ['ops' => 's3cret'], 'def' => ['Summary', 'Nowhere']];
$mysum = [
  'DATE' => null,
  'SUMMARY' => ['Elapsed', 'MHS av', 'Hardware Errors=HW', 'GEN.Eff||SUMMARY.Utility=Eff'],
  'DEVS' => ['#', 'Name', 'ID', 'Temperature=Temp', 'MHS 5s'],
  'POOL' => ['URL', 'BGEN.Rate=Rate', 'GEN.Share=Share', 'Accepted=sum'],
];
$ext = [
  'SUMMARY' => ['gen' => ['Eff' => 'round(Accepted/max(Elapsed,1)*60, 2)']],
  'DEVS' => ['where' => [['Temperature', '>', 0], ['Status', 'eq', 'Alive']]],
  'POOL' => [
    'bgen' => ['Rate' => 'Accepted * 100 / max(Accepted + Rejected, 1)'],
    'group' => ['URL'],
    'calc' => ['Accepted' => 'sum', 'BGEN.Rate' => 'avg'],
    'gen' => ['Share' => 'Accepted > 0 ? 1 : 0', 'Bad' => 'intval(Accepted)'],
    'having' => [['Accepted', '>', 0]],
  ],
];
$customsummarypages = ['Summary' => [$mysum, ['SUMMARY' => ['MHS av'], 'DEVS' => ['MHS 5s']], $ext]];
$allowgen = true;
$mcastexpect = 2;
