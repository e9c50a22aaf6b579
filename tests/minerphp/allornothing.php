<?php
$rigs = array('10.9.0.1:4028:good-rig');
$customsummarypages = array('Bad' => array(array('NOSUCHSECTION' => array('A')), array()));
