// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * OpenSSL loaded on first use (see ossl.h): dlopen of libssl, whose
 * dependencies bring libcrypto, and each function looked up by name into
 * the table the other files of tls/ call through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define OSSL_NO_REDIRECT	/* the real names, to look them up */
#include "tls/ossl.h"

/* libssl's soname for the headers this was built with ("3" for OpenSSL 3) */
#define OSSL_STR(x) #x
#define OSSL_XSTR(x) OSSL_STR(x)
#define LIBSSL "libssl.so." OSSL_XSTR(OPENSSL_SHLIB_VERSION)

struct ossl_table ossl;
static bool loaded;	/* the library stays once loaded, as dlopen keeps it */

/* In the order of struct ossl_table's members. */
static const char *const ossl_names[] = {
	"ASN1_STRING_get0_data",
	"ASN1_STRING_length",
	"ASN1_STRING_to_UTF8",
	"ASN1_TIME_to_tm",
	"BIO_free",
	"BIO_new",
	"BIO_read",
	"BIO_s_mem",
	"CRYPTO_free",
	"ERR_clear_error",
	"ERR_error_string",
	"ERR_error_string_n",
	"ERR_get_error",
	"ERR_peek_last_error",
	"EVP_Digest",
	"EVP_sha256",
	"GENERAL_NAMES_free",
	"OPENSSL_sk_num",
	"OPENSSL_sk_value",
	"SSL_CTX_ctrl",
	"SSL_CTX_dane_enable",
	"SSL_CTX_free",
	"SSL_CTX_get_cert_store",
	"SSL_CTX_load_verify_dir",
	"SSL_CTX_load_verify_file",
	"SSL_CTX_load_verify_locations",
	"SSL_CTX_new",
	"SSL_CTX_set_default_verify_paths",
	"SSL_CTX_set_options",
	"SSL_CTX_set_verify",
	"SSL_ctrl",
	"SSL_dane_enable",
	"SSL_dane_set_flags",
	"SSL_dane_tlsa_add",
	"SSL_do_handshake",
	"SSL_free",
	"SSL_get0_dane_tlsa",
	"SSL_get1_peer_certificate",
	"SSL_get_error",
	"SSL_get_peer_cert_chain",
	"SSL_get_verify_result",
	"SSL_get_version",
	"SSL_new",
	"SSL_read",
	"SSL_set1_host",
	"SSL_set_connect_state",
	"SSL_set_fd",
	"SSL_set_hostflags",
	"SSL_shutdown",
	"SSL_write",
	"TLS_client_method",
	"X509_NAME_ENTRY_get_data",
	"X509_NAME_get_entry",
	"X509_NAME_get_index_by_NID",
	"X509_NAME_print_ex",
	"X509_STORE_CTX_free",
	"X509_STORE_CTX_get_error",
	"X509_STORE_CTX_init",
	"X509_STORE_CTX_new",
	"X509_STORE_CTX_set_default",
	"X509_check_host",
	"X509_free",
	"X509_get0_notAfter",
	"X509_get0_notBefore",
	"X509_get_X509_PUBKEY",
	"X509_get_default_cert_dir",
	"X509_get_default_cert_dir_env",
	"X509_get_default_cert_file",
	"X509_get_default_cert_file_env",
	"X509_get_ext_d2i",
	"X509_get_issuer_name",
	"X509_get_subject_name",
	"X509_verify_cert",
	"X509_verify_cert_error_string",
	"i2d_X509_PUBKEY",
};

int ossl_load(struct errmsg *e)
{
	void *lib, *fn;
	unsigned int i;

	if (loaded)
		return 0;
	lib = dlopen(LIBSSL, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return errmsg_set(e, -ENOENT, "cannot use TLS: %s (install libssl3)", dlerror());
	for (i = sizeof(ossl_names) / sizeof(ossl_names[0]); i-- > 0;) {
		fn = dlsym(lib, ossl_names[i]);
		if (!fn) {
			memset(&ossl, 0, sizeof(ossl));
			return errmsg_set(e, -ENOSYS, "cannot use TLS: %s has no %s", LIBSSL,
					  ossl_names[i]);
		}
		/* the table holds function pointers only, one after the other */
		memcpy((char *)&ossl + i * sizeof(fn), &fn, sizeof(fn));
	}
	loaded = true;
	return 0;
}
