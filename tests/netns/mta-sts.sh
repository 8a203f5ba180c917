#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MTA-STS discovery as a sender does it, through the library
# (tests/helpers/tls-data: sts_look_at = dns_sts_lookup, mta_sts_txt_read,
# mta_sts_fetch), from OLD, against real NSD and nginx with a lab CA that
# only OLD's namespace trusts (/etc/netns/OLD/ssl):
#
#   old  192.0.2.1  2001:db8:80::1
#    |  veth
#   web  192.0.2.53               NSD: example.org, OLD's resolver
#        192.0.2.80 2001:db8:80::80  nginx on 443, a server per policy host
#        192.0.2.81               accepts on 443 and never answers
#        192.0.2.82               nothing listens on 443
#
# Each DOMAIN.example.org publishes _mta-sts TXT records and has its policy
# host mta-sts.DOMAIN.example.org: enforce, testing (LF lines, sent
# chunked), none; a certificate for another name, one nobody trusts; a
# redirect, a body over 64 KiB, text/html, a 404, an enforce policy
# without mx, a server that never answers; an address refused before one
# that works. All are fetched at once: the run takes the timeout, not the
# sum of them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
. "$(dirname "$0")/pki.sh"
lab_up
dns_require
command -v nginx >/dev/null || bail "nginx is missing (scripts/test installs it)"
TLS_DATA=${TLS_DATA:-$(dirname "$0")/../helpers/tls-data}
[ -x "$TLS_DATA" ] || bail "no helper at $TLS_DATA; run make check"

NSA=192.0.2.53 WEB=192.0.2.80 WEB6=2001:db8:80::80 SILENT=192.0.2.81 CLOSED=192.0.2.82
scratch_ns web
NS_WEB=$SCRATCH
ip -n "$NS_WEB" link set lo up
link "$NS_OLD" "${P}o2" "$NS_WEB" "${P}w0"
addr "$NS_OLD" "${P}o2" 192.0.2.1/24 2001:db8:80::1/64
addr "$NS_WEB" "${P}w0" $NSA/24 $WEB/24 $SILENT/24 $CLOSED/24 $WEB6/64
dns_resolver "$NS_OLD" $NSA
pki_trust "$NS_OLD"

# ---- the policies ----
D=$WORK/web
mkdir -p "$D/tmp"
policy() {	# policy DOMAIN: the body on stdin
	mkdir -p "$D/$1/.well-known"
	cat >"$D/$1/.well-known/mta-sts.txt"
}
printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n' |
	policy enforce
printf 'version: STSv1\nmode: @MODE@\nmx: mail.example.org\nmax_age: 86400\nfuture: ignored\n' |
	policy testing
printf 'version: STSv1\nmode: none\nmax_age: 86400\n' | policy none
printf 'version: STSv1\nmode: enforce\nmax_age: 86400\n' | policy nomx
for d in wrongname untrusted html fallback; do
	cp "$D/enforce/.well-known/mta-sts.txt" "$(mkdir -p "$D/$d/.well-known" && echo "$D/$d/.well-known")/"
done
{ printf 'version: STSv1\nmode: enforce\nmax_age: 86400\n'; head -c 70000 /dev/zero | tr '\0' '#'; } |
	policy big

# ---- the web server: nginx, one server per policy host ----
pki_self untrusted mta-sts.untrusted.example.org
pki_cert wrongname www.example.org
site() {	# site DOMAIN CERT [DIRECTIVES]
	local host=mta-sts.$1.example.org
	[ -e "$PKI_DIR/$2.pem" ] || pki_cert "$2" "$host"
	cat <<-EOF
	server {
		listen $WEB:443 ssl;
		listen [$WEB6]:443 ssl;
		server_name $host;
		ssl_certificate $PKI_DIR/$2.pem;
		ssl_certificate_key $PKI_DIR/$2.key;
		root $D/$1;
		${3:-}
	}
	EOF
}
{
	cat <<-EOF
	user root;
	worker_processes 1;
	pid $D/nginx.pid;
	error_log $D/error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $D/tmp/body;
		proxy_temp_path $D/tmp/proxy;
		fastcgi_temp_path $D/tmp/fastcgi;
		uwsgi_temp_path $D/tmp/uwsgi;
		scgi_temp_path $D/tmp/scgi;
		types { text/plain txt; }
		default_type application/octet-stream;
	EOF
	site enforce enforce
	site testing testing "sub_filter_types text/plain; sub_filter @MODE@ testing;"
	site none none
	site nomx nomx
	site big big
	site fallback fallback
	site wrongname wrongname
	site untrusted untrusted
	site html html "types { } default_type text/html;"
	site redirect redirect "return 301 https://www.example.org/.well-known/mta-sts.txt;"
	site missing missing
	echo "}"
} >"$D/nginx.conf"
spawn "$NS_WEB" nginx -c "$D/nginx.conf" -e "$D/error.log" -g "daemon off;"
spawn "$NS_WEB" socat "TCP4-LISTEN:443,bind=$SILENT,reuseaddr,fork" "SYSTEM:sleep 30"
wait_listening "$NS_WEB" 443

# ---- the zone ----
dns_server nsa "$NS_WEB" $NSA
{
	cat <<-EOF
	\$TTL 300
	@ SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300
	@ NS ns.example.org.
	ns A $NSA
	EOF
	for d in enforce none nomx big wrongname untrusted html redirect missing; do
		echo "_mta-sts.$d TXT \"v=STSv1; id=$d;\""
		echo "mta-sts.$d A $WEB"
	done
	echo '_mta-sts.testing TXT "v=STSv1; " "id=2026x12;"'
	echo "mta-sts.testing AAAA $WEB6"
	echo '_mta-sts.slow TXT "v=STSv1; id=slow"'
	echo "mta-sts.slow A $SILENT"
	echo '_mta-sts.fallback TXT "v=STSv1; id=fallback"'
	echo "mta-sts.fallback A $CLOSED"
	echo "mta-sts.fallback AAAA $WEB6"
	echo '_mta-sts.several TXT "v=STSv1; id=one;"'
	echo '_mta-sts.several TXT "v=STSv1; id=two;"'
	echo '_mta-sts.malformed TXT "v=STSv1; id=;"'
	echo '_mta-sts.other TXT "v=spf1 -all"'
	echo "mta-sts.notxt A $WEB"
} | dns_zone nsa example.org
dns_start nsa

# ---- all at once ----
DOMAINS=(enforce testing none nomx big wrongname untrusted html redirect missing slow fallback
	several malformed other notxt)
start=$(date +%s%N)
OUT=$(in_old "$TLS_DATA" mta-sts --timeout 1500 --mx mail.example.org --mx a.mx.example.net \
	--mx b.a.mx.example.net --mx mx.example.net --mx MAIL.Example.ORG. \
	"${DOMAINS[@]/%/.example.org}" 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "$OUT" >"$WORK/sts.out"
is "tls-data mta-sts exits 0" "$rc" 0
fetch() { grep "^sts $1.example.org fetch=" <<<"$OUT"; }
txt() { grep "^sts $1.example.org dns=" <<<"$OUT"; }
match() { grep "^match enforce.example.org $1 " <<<"$OUT" | awk '{ print $4 }'; }

# ---- the TXT record ----
is "enforce: the TXT record announces a policy" "$(txt enforce)" \
	"sts enforce.example.org dns=0 txt=0 id=enforce"
is "testing: a record in two strings is read joined" "$(txt testing)" \
	"sts testing.example.org dns=0 txt=0 id=2026x12"
is "several STSv1 records: none, and nothing fetched" \
	"$(grep '^sts several' <<<"$OUT")" "sts several.example.org dns=0 txt=2 id=-"
is "a malformed record: none, and nothing fetched" \
	"$(grep '^sts malformed' <<<"$OUT")" "sts malformed.example.org dns=0 txt=3 id=-"
is "only an SPF record: no policy" "$(grep '^sts other' <<<"$OUT")" \
	"sts other.example.org dns=0 txt=1 id=-"
is "no TXT record: no policy, though the host answers" "$(grep '^sts notxt' <<<"$OUT")" \
	"sts notxt.example.org dns=1 txt=1 id=-"

# ---- policies fetched ----
is "enforce: fetched and parsed (CRLF)" "$(fetch enforce)" \
	"sts enforce.example.org fetch=ok http=200 mode=enforce max_age=604800 mx=mail.example.org,*.mx.example.net bad=0"
is "testing: fetched chunked over IPv6, LF lines, unknown key ignored" "$(fetch testing)" \
	"sts testing.example.org fetch=ok http=200 mode=testing max_age=86400 mx=mail.example.org bad=0"
like "(the fixture: nginx sends that one chunked)" \
	"$(in_old curl -sS -D - -o /dev/null https://mta-sts.testing.example.org/.well-known/mta-sts.txt 2>&1)" \
	"[Tt]ransfer-[Ee]ncoding: chunked"
is "none: valid without mx" "$(fetch none)" \
	"sts none.example.org fetch=ok http=200 mode=none max_age=86400 mx= bad=0"
like "an address that refuses: the next one is tried" "$(fetch fallback)" "fetch=ok http=200 mode=enforce"
is "an MX named in the policy matches" "$(match mail.example.org)" yes
is "case and a final dot aside" "$(match MAIL.Example.ORG.)" yes
is "a wildcard matches one label" "$(match a.mx.example.net)" yes
is "... not two" "$(match b.a.mx.example.net)" no
is "... nor none" "$(match mx.example.net)" no

# ---- refused ----
like "a certificate for another name: TLS fails, saying so" "$(fetch wrongname)" \
	"fetch=TLS failed http=0 detail=certificate for mta-sts.wrongname.example.org: hostname mismatch"
like "a certificate nobody trusts: TLS fails, saying so" "$(fetch untrusted)" \
	"fetch=TLS failed http=0 detail=certificate for mta-sts.untrusted.example.org: self-signed"
like "a redirect is not followed" "$(fetch redirect)" \
	"fetch=redirected http=301 detail=HTTP 301 to https://www.example.org/.well-known/mta-sts.txt, which senders do not follow"
like "a body over 64 KiB is refused" "$(fetch big)" "fetch=too large http=0 detail=the response is over 65536 bytes"
like "text/html is refused" "$(fetch html)" "fetch=not text/plain http=200 detail=Content-Type text/html"
like "a 404 is no policy" "$(fetch missing)" "fetch=HTTP error http=404 detail=HTTP 404"
like "enforce without mx is invalid" "$(fetch nomx)" \
	"fetch=invalid policy http=200 detail=mode enforce needs mx lines, and it has none"
like "a server that never answers: timed out in the handshake" "$(fetch slow)" \
	"fetch=timed out http=0 detail=no answer within the time, in the TLS handshake"
if [ "$ms" -lt 4000 ]; then
	ok "all fetched at once: ${ms} ms for a 1500 ms timeout"
else
	not_ok "all fetched at once: ${ms} ms for a 1500 ms timeout"
fi

# ---- the trust store is the namespace's ----
rm -rf "/etc/netns/$NS_OLD/ssl"
OUT=$(in_old "$TLS_DATA" mta-sts --timeout 1500 enforce.example.org 2>&1)
like "without the lab CA in its store, the same policy host is not trusted" "$OUT" \
	"fetch=TLS failed http=0 detail=certificate for mta-sts.enforce.example.org: unable to get local issuer"
