#!/usr/bin/perl
# Simulated cPanel authn writer. It takes dot-locks exactly as Cpanel::SafeFile does (temp file
# "<lock>-<hex>-<hex>-<hex>" holding "<pid>\n<name>\n", mode 0644 & data mode, installed with
# link(); a lock whose PID is dead is overwritten by rename) and adds links like
# Cpanel::Security::Authn::User::Modify: lock the per-user DB, save it, lock the LinkDB, save it,
# unlock the LinkDB, unlock the per-user DB.
#
# Usage: cpanel-authn-writer.pl <root> <sysuser> <linkuser> <gid> <provider> <command> ...
#   hold <seconds> <subject>   lock the per-user DB, print "held", wait, then add <subject>
#   hang                       lock the per-user DB, print "held", wait forever
#   add <count> <prefix>       add <prefix>-1 .. <prefix>-<count>, one transaction each
use strict;
use warnings;
use Fcntl qw(O_WRONLY O_CREAT O_EXCL);
use File::Path qw(make_path);
use JSON::PP ();
use Time::HiRes qw(sleep);

my ($root, $sysuser, $linkuser, $gid, $provider, $cmd, @args) = @ARGV;
my $users_dir = "$root/var/cpanel/authn/links/users/$sysuser";
my $login_dir = "$root/var/cpanel/authn/links/openid_connect/login";
make_path("$root/var/cpanel/authn/links/users", { mode => 0711 });
make_path($users_dir, { mode => 0711 });
make_path($login_dir, { mode => 0700 });
my $user_db = "$users_dir/$linkuser.db";
my $link_db = "$login_dir/$provider.db";
my $json = JSON::PP->new->utf8;
$| = 1;

sub tempname { my ($p) = @_; return sprintf('%s-%x-%x-%x', $p, int(rand(2**31)), scalar reverse(time()), scalar reverse($$)); }

sub take_lock {
    my ($file, $mode) = @_;
    my $lock = "$file.lock";
    my $tmp = tempname($lock);
    sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0644 & $mode) or die "temp lock: $!";
    chmod(0644 & $mode, $tmp);
    print {$fh} "$$\n/usr/local/cpanel/bin/simulated-authn-writer\n";
    close $fh;
    my @mine = stat($tmp);
    while (1) {
        return { lock => $lock, tmp => $tmp, ino => $mine[1] } if link($tmp, $lock);
        die "link: $!" unless $!{EEXIST};
        my @seen = lstat($lock);
        if (@seen && open(my $l, '<', $lock)) {
            my $line = <$l>;
            close $l;
            if (defined $line && $line =~ /([0-9]+)/) {
                my $pid = $1;
                die "double locking detected" if $pid == $$;
                if (!kill(0, $pid) && !$!{EPERM}) {
                    my @now = lstat($lock);
                    if (!@now || ($now[1] == $seen[1] && $now[9] == $seen[9])) {
                        rename($tmp, $lock) or die "rename: $!";
                        return { lock => $lock, tmp => $tmp, ino => $mine[1] };
                    }
                }
            }
        }
        sleep 0.01;
    }
}

sub release {
    my ($l) = @_;
    my @st = lstat($l->{lock});
    die "Lock on $l->{lock} lost!" unless @st;
    die "Attempt to unlock file that was locked by another process" unless $st[1] == $l->{ino};
    unlink $l->{lock};
    unlink $l->{tmp};
}

sub load {
    my ($file) = @_;
    open(my $fh, '<', $file) or return {};
    local $/;
    my $text = <$fh>;
    close $fh;
    return {} unless defined $text && length $text;
    return $json->decode($text) || {};
}

sub save {
    my ($file, $data, $mode, $group) = @_;
    my $tmp = tempname($file);
    sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, $mode) or die "temp: $!";
    chmod($mode, $tmp);
    chown(0, $group, $tmp) if defined $group && $> == 0;
    print {$fh} $json->encode($data);
    close $fh;
    rename($tmp, $file) or die "rename: $!";
}

sub add_link {
    my ($subject, $held) = @_;
    my $ul = $held || take_lock($user_db, 0640);
    my $db = load($user_db);
    $db->{__VERSION} = '1.0';
    $db->{openid_connect}{$provider}{$subject} = { preferred_username => "perl-$subject", link_time => time() };
    save($user_db, $db, 0640, $gid);
    my $ll = take_lock($link_db, 0600);
    my $ldb = load($link_db);
    my $subs = $db->{openid_connect}{$provider};
    for my $s (keys %$subs) {
        $ldb->{subject_unique_identifier}{$s}{$linkuser} = { %{ $subs->{$s} }, version => '1.1' };
        $ldb->{user}{$linkuser}{$s} = 1;
    }
    save($link_db, $ldb, 0600, undef);
    release($ll);
    release($ul);
}

if ($cmd eq 'hold') {
    my ($seconds, $subject) = @args;
    my $l = take_lock($user_db, 0640);
    print "held\n";
    sleep $seconds;
    add_link($subject, $l);
} elsif ($cmd eq 'hang') {
    take_lock($user_db, 0640);
    print "held\n";
    sleep 1 while 1;
} elsif ($cmd eq 'add') {
    my ($count, $prefix) = @args;
    add_link("$prefix-$_") for 1 .. $count;
} else {
    die "unknown command $cmd";
}
