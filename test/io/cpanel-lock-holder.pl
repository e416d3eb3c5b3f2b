#!/usr/bin/perl
# Simulated cPanel writer: takes <file>.lock exactly as Cpanel::SafeFile does (temp file with
# "<pid>\n<name>\n", then link()), prints "held", keeps it for <seconds>, writes the data file by
# temp + rename, then releases (unlink) and removes its temp lock name.
use strict;
use warnings;
use Time::HiRes qw(sleep);
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
my ($file, $seconds) = @ARGV;
my $lock = "$file.lock";
my $tmp = sprintf('%s-%x-%x-%x', $lock, int(rand(2**31)), scalar reverse(time()), scalar reverse($$));
sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) or die "temp: $!";
print {$fh} "$$\n/usr/local/cpanel/whostmgr/bin/whostmgr5\n";
close $fh;
until (link($tmp, $lock)) { die "link: $!" unless $!{EEXIST}; sleep 0.3; }
$| = 1;
print "held\n";
sleep $seconds;
open(my $d, '>', "$file.perltmp") or die; print {$d} "cpanel"; close $d; rename("$file.perltmp", $file) or die;
unlink $lock;
unlink $tmp;
