#!/usr/bin/perl
# Simulated cPanel waiter (Cpanel::SafeFile): after <delay_us> microseconds, takes <lock> by link(),
# or breaks it when its PID is dead by renaming its own temp over it after checking the lock's inode
# and mtime are unchanged (rule R2); holds it <hold_ms>, then releases with the same check.
# Prints "taken-by-link ok", "taken-by-break ok", or "... LOST(gone|replaced)" when the release
# finds its lock removed or replaced while it held it.
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL O_NONBLOCK);
use POSIX qw(EPERM);
use Time::HiRes qw(time usleep);
my ($lock, $delay, $hold) = @ARGV;
sub pid_alive { my $pid = shift; return 1 if kill 0, $pid; return ($! == EPERM) ? (-e "/proc/$pid" ? 1 : 0) : 0; }
usleep($delay);
my $temp = sprintf('%s-%x-%x-%x', $lock, int(rand(1e12)), 1, $$);
sysopen(my $fh, $temp, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK, 0600) or die "temp: $!";
syswrite($fh, "$$\ncpanel-lock-waiter.pl\n");
my @mine = stat($fh);
close $fh;
my $how;
my $t0 = time;
while (1) {
  if (link($temp, $lock)) { $how = 'link'; last }
  my @seen = lstat($lock);
  next unless @seen;
  open(my $r, '<', $lock) or next;
  my $buf = '';
  sysread($r, $buf, 8192);
  close $r;
  my ($pid) = length $buf ? (split /\n/, $buf)[0] =~ /([0-9]+)/ : ();
  if ($pid && !pid_alive($pid)) {
    my @now = lstat($lock);
    if (!@now || ($now[1] == $seen[1] && $now[9] == $seen[9])) { rename($temp, $lock) or die "rename: $!"; $how = 'break'; last }
  }
  die "timeout\n" if time - $t0 > 10;
  usleep(200);
}
usleep($hold * 1000);
my @s = lstat($lock);
if (!@s) { print "taken-by-$how LOST(gone)\n" }
elsif ($s[1] == $mine[1] && $s[9] == $mine[9]) { unlink $lock; print "taken-by-$how ok\n" }
else { print "taken-by-$how LOST(replaced)\n" }
unlink $temp;
