#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The firewalls admins really have on OLD, made by their own tools:
# iptables (iptables-nft, which writes xt expressions), Docker's layout
# (DOCKER-USER, --ctstate DNAT) and a real ufw. enable refuses while their
# forward chain would drop the redirected connections, prints the remedy
# that fits the owner (never an nft rule in an iptables table), accepts
# once the printed remedy is applied literally, and disable reminds the
# admin of the rule they added.
. "$(dirname "$0")/lib.sh"
lab_up
command -v iptables >/dev/null || bail "iptables is missing"
serve "$NS_NEW" new 25
E=(enable --to $NEW4 --service smtp --no-probe)
refusal() { redirect "${E[@]}" 2>&1 | flat; return "${PIPESTATUS[0]}"; }
remedy_line() { grep -oE "(iptables|ip6tables) -I [A-Z-]+ -m connmark --mark 0x10000000/0x10000000 -j ACCEPT" | head -n 1; }

# ---- plain iptables: FORWARD policy DROP ----
in_old iptables -P FORWARD DROP
in_old iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
out=$(refusal)
is "iptables' FORWARD drops: enable refuses (exit 1)" "$?" 1
like "... naming the table as iptables'" "$out" "table ip filter \(iptables'\), chain FORWARD drops by default"
like "... with the iptables remedy" "$out" "iptables -I FORWARD -m connmark --mark 0x10000000/0x10000000 -j ACCEPT"
unlike "... and no nft rule for iptables' table" "$out" "nft insert rule ip filter"
cmd=$(remedy_line <<<"$out")
in_old $cmd
out=$(refusal)
is "the printed remedy, applied literally: enable goes on" "$?" 0
is "... and the connection passes" "$(banner $OLD4 25)" "220 new $OLDN4"
in_old iptables-save >"$WORK/save" 2>&1
is "... iptables-save still works" "$?" 0
unlike "... and calls nothing incompatible" "$(cat "$WORK/save")" "incompatible"
out=$(redirect disable --now)
like "disable reminds of the rule added" "$(flat <<<"$out")" \
	"The rule that let the redirect through table ip filter, chain FORWARD, is still there"
cmd=$(grep -oE "iptables -D FORWARD -m connmark --mark 0x10000000/0x10000000 -j ACCEPT" <<<"$out")
check "... with the command that removes it" in_old $cmd
is "... which does" "$(in_old iptables -S FORWARD | grep -c connmark)" 0
in_old iptables -F FORWARD

# ---- Docker's layout ----
in_old iptables -N DOCKER-USER
in_old iptables -A DOCKER-USER -j RETURN
in_old iptables -N DOCKER
in_old iptables -A FORWARD -j DOCKER-USER
in_old iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
in_old iptables -A FORWARD -o docker0 -j DOCKER
out=$(refusal)
is "Docker's FORWARD: enable refuses" "$?" 1
like "... naming DOCKER-USER as the place" "$out" \
	"Docker manages that table: put the rule in DOCKER-USER, the chain it leaves to you: iptables -I DOCKER-USER -m connmark"
cmd=$(grep -oE "iptables -I DOCKER-USER -m connmark --mark 0x10000000/0x10000000 -j ACCEPT" <<<"$out")
in_old $cmd
out=$(refusal)
is "the rule in DOCKER-USER (a jumped-to chain) is seen: enable goes on" "$?" 0
is "... and the connection passes" "$(banner $OLD4 25)" "220 new $OLDN4"
out=$(redirect disable --now)
like "disable reminds of it, in DOCKER-USER" "$(flat <<<"$out")" \
	"iptables -D DOCKER-USER -m connmark --mark 0x10000000/0x10000000 -j ACCEPT"
in_old iptables -D DOCKER-USER -m connmark --mark 0x10000000/0x10000000 -j ACCEPT
in_old iptables -I FORWARD -m conntrack --ctstate DNAT -j ACCEPT
out=$(refusal)
is "Docker's own '-m conntrack --ctstate DNAT -j ACCEPT' lets it through" "$?" 0
redirect disable --now >/dev/null
in_old iptables -D FORWARD -m conntrack --ctstate DNAT -j ACCEPT
in_old iptables -I FORWARD -m conntrack ! --ctstate DNAT -j ACCEPT
out=$(refusal)
is "... but not its inversion" "$?" 1
in_old iptables -F
in_old iptables -X
in_old iptables -P FORWARD ACCEPT

# ---- a real ufw, from a copy of its configuration ----
if [ -x /lib/ufw/ufw-init ] && [ -d /etc/ufw ]; then
	UFW=$WORK/ufw
	mkdir -p "$UFW/etc/default"
	cp -r /etc/ufw "$UFW/etc/ufw"
	cp /etc/default/ufw "$UFW/etc/default/ufw"
	sed -i 's/^ENABLED=.*/ENABLED=yes/' "$UFW/etc/ufw/ufw.conf"
	# no host settings, no kernel modules loaded for the host
	sed -i -e 's/^IPT_SYSCTL=.*/IPT_SYSCTL=/' -e 's/^IPT_MODULES=.*/IPT_MODULES=""/' "$UFW/etc/default/ufw"
	in_old /lib/ufw/ufw-init --datadir "$UFW" start >/dev/null 2>&1 || bail "ufw-init failed"
	out=$(refusal)
	is "ufw's forward policy: enable refuses" "$?" 1
	like "... naming ufw and its lasting place" "$out" \
		"ufw manages that table, and a reload forgets that rule; for good, add -A ufw-before-forward -m connmark --mark 0x10000000/0x10000000 -j ACCEPT to /etc/ufw/before.rules"
	line=$(grep -oE -- "-A ufw-before-forward -m connmark --mark 0x10000000/0x10000000 -j ACCEPT" <<<"$out")
	# where ufw's own before.rules says to add rules: before the COMMIT of *filter
	awk -v line="$line" '/^COMMIT/ && !done { print line; done = 1 } { print }' \
		"$UFW/etc/ufw/before.rules" >"$WORK/before.rules"
	cp "$WORK/before.rules" "$UFW/etc/ufw/before.rules"
	in_old /lib/ufw/ufw-init --datadir "$UFW" force-reload >/dev/null 2>&1 || bail "ufw reload failed"
	out=$(refusal)
	is "with the line in before.rules and ufw reloaded: enable goes on" "$?" 0
	is "... and the connection passes ufw" "$(banner $OLD4 25)" "220 new $OLDN4"
	out=$(redirect disable --now)
	like "disable reminds of the ufw line too" "$(flat <<<"$out")" "and its line in /etc/ufw/before.rules"
	in_old /lib/ufw/ufw-init --datadir "$UFW" stop >/dev/null 2>&1
else
	skip "a real ufw" "ufw is not installed"
fi

# ---- another table writing our conntrack mark bits ----
in_old nft add table inet theirs
in_old nft add chain inet theirs pre '{ type filter hook prerouting priority -150; }'
in_old nft add rule inet theirs pre tcp dport 2222 ct mark set 0x1
in_old nft add rule inet theirs pre tcp dport 2223 ct mark set ct mark or 0x2
out=$(redirect "${E[@]}" --dry-run 2>&1 | flat)
like "a rule elsewhere overwriting the ct mark is warned of" "$out" \
	"table inet theirs, chain pre \(handle [0-9]+\) writes the conntrack mark's bits 0x70000000 that redirect uses"
is "... once: the rule keeping our bits is not" "$(grep -o "writes the conntrack mark's bits" <<<"$out" | wc -l)" 1
in_old nft delete table inet theirs
in_old iptables -t mangle -A PREROUTING -p tcp --dport 2224 -j CONNMARK --set-mark 0x10000000
out=$(redirect "${E[@]}" --dry-run 2>&1 | flat)
like "iptables' CONNMARK over our bit is warned of" "$out" \
	"table ip mangle, chain PREROUTING \(handle [0-9]+\) writes the conntrack mark's bits"
in_old iptables -t mangle -F PREROUTING
in_old iptables -t mangle -A PREROUTING -p tcp --dport 2224 -j CONNMARK --set-xmark 0x1/0xff
out=$(redirect "${E[@]}" --dry-run 2>&1 | flat)
unlike "... one whose mask leaves our bits alone is not" "$out" "writes the conntrack mark's bits"
in_old iptables -t mangle -F PREROUTING
