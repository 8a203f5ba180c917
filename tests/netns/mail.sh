# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Real mail servers in the lab of lib.sh (source this after lib.sh):
#
#   client   Postfix that queues and retries: relays all mail to OLD
#   old      Postfix on 25, delivering to OLD's own Maildir
#   new      Postfix on 25 and 587 (and 465, TLS), delivering to NEW's
#            Maildir, and Dovecot serving that Maildir over IMAP (143, and
#            993 TLS) and POP3 (110, and 995 TLS): every port that
#            redirect forwards by default, so that its probe finds them all
#
# Every instance has its own configuration, queue, data, run and log
# directories under $WORK/mail/ROLE; nothing reads or writes the host's
# /etc/postfix/main.cf, /etc/dovecot, /var/spool or /run, nor its services.
# Each daemon's master process is started with lib.sh's spawn (its own
# session and process group, PID recorded), stopped by that PID with its
# whole process group, and stopped again on exit whatever happens.
#
# No DNS anywhere: each lab namespace gets /etc/netns/NS/resolv.conf naming
# 127.0.0.1, where nothing listens, so a lookup fails at once instead of
# stalling; the servers are reached by address only.
#
# With MAIL_SPF=1, NEW's Postfix checks the sender's SPF record with
# Debian's own policy server (postfix-policyd-spf-python, at the defaults of
# its /etc/postfix-policyd-spf-python/policyd-spf.conf: a -all record's fail
# is rejected with 550 5.7.23). It asks the DNS of NEW's resolv.conf, which
# a test then serves (dns.sh).
#
# Mail is for $MAIL_RCPT (alice@example.org), sent from $MAIL_FROM
# (bob@example.net); IMAP and POP3 log in as $MAIL_USER / $MAIL_PASS, or as
# any of $MAIL_MORE_USERS (user names, same password). Dovecot logs the IMAP
# ID clients send (imap_id_log = *). With MAIL_SASL=1, NEW's Postfix takes
# AUTH (PLAIN, LOGIN) through Dovecot's auth service on every port; with
# MAIL_ONE_LOG=1, NEW's Dovecot logs into NEW's Postfix log (one mail.log,
# as rsyslog writes it), $MAIL_DIR/new/postfix.log. The
# Maildirs belong to the numeric uid/gid $MAIL_UID, which needs no account.
# Plain logins are allowed without TLS. The TLS ports (MAIL_TLS=0: none)
# use a self-signed certificate for new.example.org made at start; curl is
# always run with -k.
#
# Call the functions from the test's own shell, not in $( ) or a pipeline:
# they record PIDs in lib.sh's PIDS and in MAIL_PID. mail_cleanup stops
# everything and removes the /etc/netns directories; it runs from lab_down
# (see the hook at the end of the stopping section).
#
# The packages: mail_install_packages, or scripts/deps.sh's MAIL_PACKAGES.

MAIL_DOMAIN=${MAIL_DOMAIN:-example.org}
MAIL_USER=${MAIL_USER:-alice}
MAIL_PASS=${MAIL_PASS:-rehearsal}
MAIL_RCPT=$MAIL_USER@$MAIL_DOMAIN
MAIL_FROM=${MAIL_FROM:-bob@example.net}
MAIL_UID=${MAIL_UID:-5000}
MAIL_TLS=${MAIL_TLS:-1}
MAIL_SPF=${MAIL_SPF:-0}
MAIL_MORE_USERS=${MAIL_MORE_USERS:-}
MAIL_SASL=${MAIL_SASL:-0}
MAIL_ONE_LOG=${MAIL_ONE_LOG:-0}
MAIL_DIR=$WORK/mail
declare -gA MAIL_PID		# "ROLE/postfix" or "new/dovecot" -> master PID
MAIL_NETNS=()			# /etc/netns/NS directories we made
MAIL_HAD_NETNS_DIR=0
[ -d /etc/netns ] && MAIL_HAD_NETNS_DIR=1

# ---- install ----

# Installs what the mail lab needs, only what is missing, through the
# project's one install path (scripts/deps.sh: postfix preseeded to "No
# configuration", no service started now or at boot).
mail_install_packages() {
	# shellcheck source=../../scripts/deps.sh
	. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/deps.sh"
	install_packages "${MAIL_PACKAGES[@]}"
}

mail_require() {	# bails unless the mail servers are installed
	local tool user
	if [ "$MAIL_SPF" = 1 ]; then
		[ -x /usr/bin/policyd-spf ] ||
			bail "policyd-spf is missing (scripts/test installs postfix-policyd-spf-python)"
		id policyd-spf >/dev/null 2>&1 || bail "user policyd-spf is missing"
	fi
	for tool in postconf postfix postqueue sendmail dovecot curl openssl; do
		command -v "$tool" >/dev/null ||
			bail "$tool is missing (mail_install_packages in tests/netns/mail.sh installs it)"
	done
	for user in postfix dovecot dovenull; do
		id "$user" >/dev/null 2>&1 ||
			bail "user $user is missing (the postfix and dovecot packages make it)"
	done
}

# ---- namespaces without DNS ----

_mail_netns() {		# _mail_netns NS: resolv.conf and hosts of its own
	local d=/etc/netns/$1
	[ -d "$d" ] && return 0
	mkdir -p "$d" || bail "cannot create $d"
	MAIL_NETNS+=("$d")
	echo "nameserver 127.0.0.1" >"$d/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$d/hosts"
}

# ---- TLS ----

# A self-signed certificate for NEW's TLS ports, made once per test, in
# MAIL_TLS_DIR (key.pem, cert.pem). A test may give a role certificates of
# its own: MAIL_TLS_DIRS[ROLE]=DIR with key.pem and cert.pem (the chain).
MAIL_TLS_DIR=$MAIL_DIR/tls
declare -gA MAIL_TLS_DIRS
# Lines a test adds to a role's main.cf (the last setting of a name wins),
# and to its dovecot.conf.
declare -gA MAIL_CF MAIL_DOVECOT_CONF
_mail_tls_dir() { echo "${MAIL_TLS_DIRS[$1]:-$MAIL_TLS_DIR}"; }	# ROLE
_mail_tls() {
	local d=$MAIL_TLS_DIR
	if [ ! -s "$d/cert.pem" ]; then
		mkdir -p "$d"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/key.pem" -out "$d/cert.pem" -days 2 \
			-subj "/CN=new.$MAIL_DOMAIN" >"$d/openssl.log" 2>&1 ||
			bail "cannot make a certificate: $(cat "$d/openssl.log")"
		chmod 600 "$d/key.pem"
	fi
}

# ---- Postfix ----

_mail_pf() { echo "$MAIL_DIR/$1/postfix"; }	# an instance's config dir

# Sets each "name = value" of LINES in main.cf FILE, in place of an earlier
# setting of the name (Postfix warns of a name set twice).
_mail_cf_override() {	# _mail_cf_override FILE LINES
	local line name
	while IFS= read -r line; do
		name=${line%%=*}
		name=${name// /}
		[ -n "$name" ] && sed -i "/^$name *=/d" "$1"
	done <<<"$2"
	echo "$2" >>"$1"
}

# Writes an instance's main.cf and master.cf. LISTEN: the smtpd ports; 465
# is implicit TLS (with the certificate of _mail_tls), the others plain.
_mail_postfix_config() {	# _mail_postfix_config ROLE HOSTNAME LISTEN...
	local role=$1 host=$2 root=$MAIL_DIR/$1 conf port user
	shift 2
	conf=$(_mail_pf "$role")
	mkdir -p "$conf" "$root/mail"
	cat >"$conf/main.cf" <<-EOF
	# $role's own Postfix instance (tests/netns/mail.sh)
	compatibility_level = 3.6
	queue_directory = $root/queue
	data_directory = $root/data
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = $host
	mydomain = ${host#*.}
	myorigin = \$mydomain
	inet_interfaces = all
	inet_protocols = all
	mynetworks = 127.0.0.0/8 [::1]/128
	mydestination =
	local_recipient_maps =
	local_transport = error:5.1.1 no local delivery here
	alias_maps =
	alias_database =
	biff = no
	smtpd_banner = \$myhostname ESMTP
	smtpd_peername_lookup = no
	smtp_dns_support_level = disabled
	smtp_host_lookup = native
	lmtp_host_lookup = native
	smtp_tls_security_level = none
	smtpd_tls_security_level = none
	smtp_connect_timeout = 3s
	smtp_helo_timeout = 10s
	in_flow_delay = 0
	maillog_file = $root/postfix.log
	maillog_file_prefixes = $root
	EOF
	case $role in
	client)
		# Everything goes to OLD's address; what OLD doesn't take stays
		# in the queue and is retried about every second.
		cat >>"$conf/main.cf" <<-EOF
		relayhost = ${MAIL_RELAY:-[$OLD4]:25}
		queue_run_delay = 1s
		minimal_backoff_time = 1s
		maximal_backoff_time = 2s
		EOF
		;;
	*)
		# Final destination for the domain, into a Maildir owned by MAIL_UID.
		cat >>"$conf/main.cf" <<-EOF
		virtual_mailbox_domains = $MAIL_DOMAIN
		virtual_mailbox_base = $root/mail
		virtual_mailbox_maps = inline:{ {$MAIL_RCPT = $MAIL_USER/Maildir/} }
		virtual_uid_maps = static:$MAIL_UID
		virtual_gid_maps = static:$MAIL_UID
		virtual_minimum_uid = $MAIL_UID
		EOF
		;;
	esac
	if [ "$role" = new ] && [ "$MAIL_SASL" = 1 ]; then
		cat >>"$conf/main.cf" <<-EOF
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = $MAIL_DIR/new/dovecot/run/auth-postfix
		EOF
	fi
	if [ "$role" = new ] && [ "$MAIL_SPF" = 1 ]; then
		cat >>"$conf/main.cf" <<-EOF
		smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,
		    check_policy_service unix:private/policyd-spf
		policyd-spf_time_limit = 3600
		EOF
	fi
	case " $* " in
	*" 465 "*)
		_mail_tls
		cat >>"$conf/main.cf" <<-EOF
		smtpd_tls_chain_files = $(_mail_tls_dir "$role")/key.pem, $(_mail_tls_dir "$role")/cert.pem
		smtpd_tls_session_cache_database =
		EOF
		;;
	esac
	[ -n "${MAIL_CF[$role]:-}" ] && _mail_cf_override "$conf/main.cf" "${MAIL_CF[$role]}"
	{
		echo "# $role's own Postfix services: no chroot (tests/netns/mail.sh)"
		for port in "$@"; do
			case $port in
			465) echo "$port inet n - n - - smtpd -o syslog_name=postfix/$port" \
				"-o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt" ;;
			*) echo "$port inet n - n - - smtpd -o syslog_name=postfix/$port" ;;
			esac
		done
		cat <<-'EOF'
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		local     unix  -       n       n       -       -       local
		virtual   unix  -       n       n       -       -       virtual
		lmtp      unix  -       -       n       -       -       lmtp
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
		EOF
		[ "$role" = new ] && [ "$MAIL_SPF" = 1 ] &&
			echo "policyd-spf unix - n n - 0 spawn user=policyd-spf argv=/usr/bin/policyd-spf"
	} >"$conf/master.cf"
	# Postfix programs wait (300 ms at a time) until a main.cf changed
	# within the last second has aged: backdated, they start at once.
	touch -d '-1 minute' "$conf/main.cf" "$conf/master.cf"
	# virtual(8) makes the Maildir as MAIL_UID, under a base it can write
	for user in $MAIL_USER $MAIL_MORE_USERS; do
		mkdir -p "$root/mail/$user"
		chown "$MAIL_UID:$MAIL_UID" "$root/mail/$user"
	done
}

# The queue and data directories of an instance, owned as Postfix's own
# postfix-files wants them. ("postfix -c DIR post-install create-missing"
# makes the same, but takes 3 s for each instance.)
_mail_postfix_dirs() {	# _mail_postfix_dirs ROOT
	local q=$1/queue
	install -d -o root -g root -m 755 "$q" "$q/pid"
	install -d -o postfix -g root -m 700 "$1/data" "$q"/{active,bounce,corrupt,defer,deferred} \
		"$q"/{flush,hold,incoming,private,saved,trace}
	install -d -o postfix -g postdrop -m 730 "$q/maildrop"
	install -d -o postfix -g postdrop -m 710 "$q/public"
}

# Starts ROLE's Postfix in NS: its directories made, then the master daemon
# itself in the foreground, spawned so that its PID is known and its
# process group holds every Postfix process of the instance.
_mail_postfix_start() {		# _mail_postfix_start ROLE NS HOSTNAME LISTEN...
	local role=$1 ns=$2 conf daemons i port q pid running=
	shift 2
	[ -n "${MAIL_PID[$role/postfix]:-}" ] && return 0
	_mail_netns "$ns"
	_mail_postfix_config "$role" "$@"
	conf=$(_mail_pf "$role")
	_mail_postfix_dirs "$MAIL_DIR/$role"
	q=$MAIL_DIR/$role/queue
	# endpoints of an earlier run: gone, so that their return tells
	# that this master is up
	rm -f "$q"/public/* "$q"/private/*
	daemons=$(ip netns exec "$ns" postconf -c "$conf" -h daemon_directory)
	spawn "$ns" "$daemons/master" -c "$conf" -s
	pid=${PIDS[-1]}
	MAIL_PID[$role/postfix]=$pid
	# Up once its PID is in master.pid (never "master -t" here: that takes
	# the lock for a moment, and a master starting then gives up), the
	# pickup and qmgr endpoints are there, and every smtpd port listens.
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null ||
			bail "postfix for $role exited: $(tail -n 5 "$WORK/spawned.log" "$MAIL_DIR/$role/postfix.log" 2>&1)"
		read -r running 2>/dev/null <"$q/pid/master.pid"
		[ "$running" = "$pid" ] && [ -e "$q/public/pickup" ] && [ -e "$q/public/qmgr" ] && break
		[ "$i" = 150 ] && bail "postfix for $role did not come up"
		sleep 0.1
	done
	shift
	for port in "$@"; do
		wait_listening "$ns" "$port"
	done
}

# ---- Dovecot ----

_mail_dovecot_start() {		# _mail_dovecot_start ROLE NS
	local role=$1 ns=$2 d=$MAIL_DIR/$1/dovecot ssl="ssl = no" port user log
	[ -n "${MAIL_PID[$role/dovecot]:-}" ] && return 0
	if [ "$MAIL_TLS" = 1 ]; then
		# STARTTLS on 143 and 110 too, and the implicit TLS ports
		# (Dovecot's built-in listeners imaps 993 and pop3s 995)
		_mail_tls
		ssl="ssl = yes
	ssl_cert = <$(_mail_tls_dir "$role")/cert.pem
	ssl_key = <$(_mail_tls_dir "$role")/key.pem"
	fi
	_mail_netns "$ns"
	mkdir -p "$d/run" "$d/state"
	# the auth process runs as user dovecot and reads this file
	for user in $MAIL_USER $MAIL_MORE_USERS; do
		echo "$user:{PLAIN}$MAIL_PASS:$MAIL_UID:$MAIL_UID::$MAIL_DIR/$role/mail/$user::"
	done >"$d/users"
	chmod 644 "$d/users"
	log=$d/dovecot.log
	[ "$role" = new ] && [ "$MAIL_ONE_LOG" = 1 ] && log=$MAIL_DIR/new/postfix.log
	cat >"$d/dovecot.conf" <<-EOF
	# $role's own Dovecot (tests/netns/mail.sh)
	protocols = imap pop3
	listen = *, ::
	base_dir = $d/run
	state_dir = $d/state
	instance_name = dovecot-$role-$$
	hostname = $role.$MAIL_DOMAIN
	log_path = $log
	imap_id_log = *
	$ssl
	disable_plaintext_auth = no
	auth_failure_delay = 0
	auth_mechanisms = plain login
	first_valid_uid = $MAIL_UID
	last_valid_uid = $MAIL_UID
	first_valid_gid = $MAIL_UID
	last_valid_gid = $MAIL_UID
	mail_location = maildir:~/Maildir
	pop3_uidl_format = %08Xu%08Xv
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%n $d/users
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%n $d/users
	}
	# no growing delay after failed logins: tests may fail logins on purpose
	service anvil {
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	# Postfix's SASL (MAIL_SASL=1) asks here
	service auth {
	  unix_listener auth-postfix {
	    mode = 0666
	  }
	}
	EOF
	[ -n "${MAIL_DOVECOT_CONF[$role]:-}" ] && echo "${MAIL_DOVECOT_CONF[$role]}" >>"$d/dovecot.conf"
	spawn "$ns" dovecot -F -c "$d/dovecot.conf"
	MAIL_PID[$role/dovecot]=${PIDS[-1]}
	for port in 143 110; do
		wait_listening "$ns" "$port"
	done
	if [ "$MAIL_TLS" = 1 ]; then
		for port in 993 995; do
			wait_listening "$ns" "$port"
		done
	fi
}

# ---- stopping ----

# True while a process of the session SID is alive (zombies aside: a
# daemon's children, orphaned when it exits, wait there for PID 1 to reap
# them, holding nothing).
_mail_alive() {		# _mail_alive SID
	ps -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

# Stops daemons by their recorded PIDs: TERM to each one's process group
# (spawn made each the leader of its own session and group), then waits
# until nothing of any of them is alive (KILL after 10 s).
_mail_stop() {		# _mail_stop KEY...
	local key pid i p keep=() pids=()
	for key in "$@"; do
		pid=${MAIL_PID[$key]:-}
		[ -n "$pid" ] || continue
		pids+=("$pid")
		unset "MAIL_PID[$key]"
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		for i in $(seq 100); do
			_mail_alive "$pid" || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		[[ " ${pids[*]} " == *" $p "* ]] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

mail_stop_all() {	# stops every mail daemon this test started
	_mail_stop "${!MAIL_PID[@]}"
}

# What lab_down must run before it removes the namespaces and $WORK: the
# daemons stopped (their whole process groups gone, so nothing writes into
# $WORK any more), and the /etc/netns directories removed.
mail_cleanup() {
	local d
	mail_stop_all
	for d in "${MAIL_NETNS[@]}"; do
		rm -rf "$d"
	done
	MAIL_NETNS=()
	[ "$MAIL_HAD_NETNS_DIR" = 0 ] && rmdir /etc/netns 2>/dev/null
	return 0
}

# Hook mail_cleanup into lab_down: through lib.sh's LAB_CLEANUP list where
# lib.sh has one, else by wrapping lab_down.
if declare -p LAB_CLEANUP >/dev/null 2>&1; then
	LAB_CLEANUP+=(mail_cleanup)
elif ! declare -F _mail_lib_lab_down >/dev/null; then
	eval "$(declare -f lab_down | sed '1s/^lab_down/_mail_lib_lab_down/')"
	lab_down() { mail_cleanup; _mail_lib_lab_down "$@"; }
fi

# ---- the three servers ----

# NEW: Postfix on 25, 587 (and 465), Dovecot on 143, 110 (and 993, 995).
mail_new_start() {
	local ports=(25 587)
	[ "$MAIL_TLS" = 1 ] && ports+=(465)
	mail_require
	_mail_prepare_work
	_mail_postfix_start new "$NS_NEW" "new.$MAIL_DOMAIN" "${ports[@]}"
	_mail_dovecot_start new "$NS_NEW"
}
mail_new_stop() { _mail_stop new/dovecot new/postfix; }

mail_old_start() {	# OLD: Postfix on 25 into OLD's own Maildir
	mail_require
	_mail_prepare_work
	_mail_postfix_start old "$NS_OLD" "old.$MAIL_DOMAIN" 25
}
mail_old_stop() { _mail_stop old/dovecot old/postfix; }

# OLD's own Dovecot on its Maildir (IMAP 143, POP3 110, and the TLS ports),
# as an old server has before the migration; mail_old_stop stops it too.
mail_old_dovecot_start() {
	mail_require
	_mail_prepare_work
	_mail_dovecot_start old "$NS_OLD"
}

# The client: no listener; relays everything to ${MAIL_RELAY:-[$OLD4]:25}
# (set MAIL_RELAY before, e.g. "[ipv6:$OLD6]:25") and retries what it can't.
mail_client_start() {
	mail_require
	_mail_prepare_work
	_mail_postfix_start client "$NS_CLIENT" client.example.net
}
mail_client_stop() { _mail_stop client/postfix; }

# The daemons run as postfix, dovecot, dovenull and MAIL_UID: they must be
# able to pass through $WORK (mktemp made it 0700) to reach their files.
_mail_prepare_work() {
	chmod 711 "$WORK"
	mkdir -p "$MAIL_DIR"
	chmod 711 "$MAIL_DIR"
}

# ---- the client's queue ----

# Holds the client's queue (no retries until released), as postsuper -h.
mail_client_hold() { in_client postsuper -c "$(_mail_pf client)" -h ALL 2>/dev/null; }
mail_client_release() { in_client postsuper -c "$(_mail_pf client)" -H ALL 2>/dev/null; }

mail_client_flush() {	# retries everything queued on the client, now
	in_client postqueue -c "$(_mail_pf client)" -f
}

# How many messages the client holds, in any of its queues. A message
# moves between queues as it is retried (deferred -> active -> deferred),
# so one scan can see it twice or not at all: queue files keep their name
# (the queue ID) across moves, and scans repeat until two agree.
mail_client_queued() {
	local q=$MAIL_DIR/client/queue n last=x i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		n=$(cd "$q" 2>/dev/null && find maildrop incoming active deferred hold -type f \
			-printf '%f\n' 2>/dev/null | sort -u | wc -l)
		[ "$n" = "$last" ] && break
		last=$n
	done
	echo "${n:-0}"
}

# How often the client has tried MESSAGE-ID and failed (its "status=deferred"
# log lines), from its own log.
mail_client_tries() {	# mail_client_tries MESSAGE-ID
	awk -v id="message-id=<$1>" '
		$0 ~ /\/cleanup\[/ && index($0, id) { sub(/:$/, "", $6); q[$6] = 1 }
		/status=deferred/ { x = $6; sub(/:$/, "", x); if (x in q) n++ }
		END { print n + 0 }' "$MAIL_DIR/client/postfix.log" 2>/dev/null || echo 0
}

# What became of MESSAGE-ID on the client, from its log: "sent", "bounced",
# "deferred" (the last status logged), or "" before any.
mail_client_status() {	# mail_client_status MESSAGE-ID
	awk -v id="message-id=<$1>" '
		$0 ~ /\/cleanup\[/ && index($0, id) { sub(/:$/, "", $6); q[$6] = 1 }
		/ status=/ { x = $6; sub(/:$/, "", x)
			if (x in q) { s = $0; sub(/.* status=/, "", s); sub(/ .*/, "", s); last = s } }
		END { print last }' "$MAIL_DIR/client/postfix.log" 2>/dev/null
}

_mail_message() {	# _mail_message MESSAGE-ID RCPT: a small message
	printf 'From: %s\nTo: %s\nSubject: rehearsal %s\nMessage-Id: <%s>\nDate: %s\n\nThis is %s.\n' \
		"$MAIL_FROM" "$2" "$1" "$1" "$(date -R)" "$1"
}

# Hands a message to the client's Postfix (its sendmail, into its queue).
# MESSAGE-ID without the angle brackets, e.g. m1@example.net.
mail_send() {		# mail_send MESSAGE-ID [RCPT]
	local rcpt=${2:-$MAIL_RCPT}
	_mail_message "$1" "$rcpt" |
		in_client sendmail -C "$(_mail_pf client)" -i -f "$MAIL_FROM" -- "$rcpt"
}

# Sends a message straight from the client namespace to ADDRESS:PORT over
# SMTP with curl (port 465: implicit TLS), no queue: fails unless the
# server accepts it.
mail_smtp() {		# mail_smtp ADDRESS PORT MESSAGE-ID [RCPT]
	local rcpt=${4:-$MAIL_RCPT}
	_mail_message "$3" "$rcpt" |
		in_client curl -sS -g -k --max-time 10 "$(_mail_url smtp "$1" "$2")/client.example.net" \
			--mail-from "$MAIL_FROM" --mail-rcpt "$rcpt" -T -
}

# ---- what arrived ----

# The Message-Ids (without <>) of the messages in ROLE's Maildir, sorted.
mail_ids() {		# mail_ids new|old
	local base=$MAIL_DIR/$1/mail
	[ -d "$base" ] || return 0
	# the Maildir's own new/ and cur/, never tmp/ (a delivery under way): the
	# pattern starts below the role's directory, which may itself be "new"
	find "$base" -type f \( -path "$base/*/Maildir/new/*" -o -path "$base/*/Maildir/cur/*" \) \
		-print0 |
		xargs -0 -r awk '
			FNR == 1 { head = 1 }
			head && /^\r?$/ { head = 0 }
			head && tolower($0) ~ /^message-id:/ {
				sub(/^[^<]*</, ""); sub(/>.*/, ""); print
			}' | sort
}

# True when every MESSAGE-ID is in ROLE's Maildir.
mail_has() {		# mail_has new|old MESSAGE-ID...
	local role=$1 ids id
	shift
	ids=$(mail_ids "$role")
	for id in "$@"; do
		grep -qxF -- "$id" <<<"$ids" || return 1
	done
}

# Polls COMMAND until it succeeds; fails after SECONDS (lib.sh's wait_until).
mail_wait() { wait_until "$@"; }	# mail_wait SECONDS COMMAND...

# The first line a client gets from ADDRESS:PORT ("" when nothing answers)
# while it keeps the connection open (lib.sh's banner closes its side at
# once, and Dovecot's IMAP then hangs up without a greeting).
mail_banner() {		# mail_banner ADDRESS PORT
	in_client timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && IFS= read -r -t 4 line <&3 &&
		printf "%s\n" "${line%$'"'"'\r'"'"'}"' - "$1" "$2" 2>/dev/null
}

# The URL of a server: smtp, imap or pop3 at ADDRESS:PORT, with the TLS
# scheme (smtps, imaps, pop3s) on the implicit TLS ports 465, 993, 995.
_mail_url() {		# _mail_url PROTOCOL ADDRESS PORT
	local scheme=$1 host=$2
	case $3 in 465 | 993 | 995) scheme=${scheme}s ;; esac
	case $host in *:*) host="[$host]" ;; esac
	echo "$scheme://$host:$3"
}

_mail_header_ids() {	# the Message-Ids in the headers on stdin, sorted
	tr -d '\r' | sed -n 's/^Message-Id:[^<]*<\([^>]*\)>.*/\1/Ip' | sort
}

_mail_curl() { in_client curl -sS -g -k --max-time 10 -u "$MAIL_USER:$MAIL_PASS" "$@"; }

# The Message-Ids of the INBOX, read over IMAP at ADDRESS from the client
# (PORT 993: implicit TLS): SEARCH ALL, then each message's Message-Id
# header field (curl's FETCH of that section marks the message seen).
# Fails if a request fails.
mail_imap_ids() {	# mail_imap_ids ADDRESS [PORT]
	local url n nums out
	url="$(_mail_url imap "$1" "${2:-143}")/INBOX"
	nums=$(_mail_curl "$url?ALL") || return 1
	nums=$(tr -d '\r' <<<"$nums" | sed -n 's/^\* SEARCH//p')
	out=$(for n in $nums; do
		_mail_curl "$url;MAILINDEX=$n;SECTION=HEADER.FIELDS%20(MESSAGE-ID)" || exit 1
	done) || return 1
	_mail_header_ids <<<"$out"
}

# The Message-Ids of the mailbox, read over POP3 at ADDRESS from the client
# (PORT 995: implicit TLS): LIST, then TOP n 0 of each message (headers
# only; nothing is deleted). Fails if a request fails.
mail_pop3_ids() {	# mail_pop3_ids ADDRESS [PORT]
	local url n nums out
	url="$(_mail_url pop3 "$1" "${2:-110}")/"
	nums=$(_mail_curl "$url") || return 1
	nums=$(tr -d '\r' <<<"$nums" | awk '{ print $1 }')
	out=$(for n in $nums; do
		_mail_curl "$url" -X "TOP $n 0" || exit 1
	done) || return 1
	_mail_header_ids <<<"$out"
}

# The whole IMAP INBOX listing or a POP3 LIST as curl prints it, for eyes.
mail_imap() { _mail_curl "$(_mail_url imap "$1" "${2:-143}")/${3:-INBOX}"; }	# ADDRESS [PORT [PATH]]
mail_pop3() { _mail_curl "$(_mail_url pop3 "$1" "${2:-110}")/${3:-}"; }	# ADDRESS [PORT [N]]

# Every log of the mail servers, for a failing test's diagnostics.
mail_logs() {
	local f
	for f in "$MAIL_DIR"/*/postfix.log "$MAIL_DIR"/*/dovecot/dovecot.log; do
		[ -f "$f" ] && { echo "== $f"; tail -n "${1:-30}" "$f"; }
	done
}
