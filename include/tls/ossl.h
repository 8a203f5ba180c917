/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_OSSL_H
#define REDIRECT_TLS_OSSL_H

/*
 * OpenSSL, loaded when a TLS check first runs (ossl_load), not when the
 * program starts: libssl and libcrypto cost every run of every command
 * 0.6 ms of CPU and 145 page faults (4,000 symbol relocations: Debian
 * builds libcrypto with BIND_NOW), and only the TLS checks use them.
 * Included after OpenSSL's headers, by the files of tls/ that call it:
 * each function they use becomes a call through the table, its type the
 * one OpenSSL's header gives it (OpenSSL's own macros, such as
 * sk_X509_num or OPENSSL_free, expand to these names and follow).
 * The list is what the tree calls: a function added to tls/ needs its
 * line here too, or the link of src/redirect says which one is missing.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/errmsg.h"

struct ossl_table {
	__typeof__(&ASN1_STRING_get0_data) ASN1_STRING_get0_data;
	__typeof__(&ASN1_STRING_length) ASN1_STRING_length;
	__typeof__(&ASN1_STRING_to_UTF8) ASN1_STRING_to_UTF8;
	__typeof__(&ASN1_TIME_to_tm) ASN1_TIME_to_tm;
	__typeof__(&BIO_free) BIO_free;
	__typeof__(&BIO_new) BIO_new;
	__typeof__(&BIO_read) BIO_read;
	__typeof__(&BIO_s_mem) BIO_s_mem;
	__typeof__(&CRYPTO_free) CRYPTO_free;
	__typeof__(&ERR_clear_error) ERR_clear_error;
	__typeof__(&ERR_error_string) ERR_error_string;
	__typeof__(&ERR_error_string_n) ERR_error_string_n;
	__typeof__(&ERR_get_error) ERR_get_error;
	__typeof__(&ERR_peek_last_error) ERR_peek_last_error;
	__typeof__(&EVP_Digest) EVP_Digest;
	__typeof__(&EVP_sha256) EVP_sha256;
	__typeof__(&GENERAL_NAMES_free) GENERAL_NAMES_free;
	__typeof__(&OPENSSL_sk_num) OPENSSL_sk_num;
	__typeof__(&OPENSSL_sk_value) OPENSSL_sk_value;
	__typeof__(&SSL_CTX_ctrl) SSL_CTX_ctrl;
	__typeof__(&SSL_CTX_dane_enable) SSL_CTX_dane_enable;
	__typeof__(&SSL_CTX_free) SSL_CTX_free;
	__typeof__(&SSL_CTX_get_cert_store) SSL_CTX_get_cert_store;
	__typeof__(&SSL_CTX_load_verify_dir) SSL_CTX_load_verify_dir;
	__typeof__(&SSL_CTX_load_verify_file) SSL_CTX_load_verify_file;
	__typeof__(&SSL_CTX_load_verify_locations) SSL_CTX_load_verify_locations;
	__typeof__(&SSL_CTX_new) SSL_CTX_new;
	__typeof__(&SSL_CTX_set_default_verify_paths) SSL_CTX_set_default_verify_paths;
	__typeof__(&SSL_CTX_set_options) SSL_CTX_set_options;
	__typeof__(&SSL_CTX_set_verify) SSL_CTX_set_verify;
	__typeof__(&SSL_ctrl) SSL_ctrl;
	__typeof__(&SSL_dane_enable) SSL_dane_enable;
	__typeof__(&SSL_dane_set_flags) SSL_dane_set_flags;
	__typeof__(&SSL_dane_tlsa_add) SSL_dane_tlsa_add;
	__typeof__(&SSL_do_handshake) SSL_do_handshake;
	__typeof__(&SSL_free) SSL_free;
	__typeof__(&SSL_get0_dane_tlsa) SSL_get0_dane_tlsa;
	__typeof__(&SSL_get1_peer_certificate) SSL_get1_peer_certificate;
	__typeof__(&SSL_get_error) SSL_get_error;
	__typeof__(&SSL_get_peer_cert_chain) SSL_get_peer_cert_chain;
	__typeof__(&SSL_get_verify_result) SSL_get_verify_result;
	__typeof__(&SSL_get_version) SSL_get_version;
	__typeof__(&SSL_new) SSL_new;
	__typeof__(&SSL_read) SSL_read;
	__typeof__(&SSL_set1_host) SSL_set1_host;
	__typeof__(&SSL_set_connect_state) SSL_set_connect_state;
	__typeof__(&SSL_set_fd) SSL_set_fd;
	__typeof__(&SSL_set_hostflags) SSL_set_hostflags;
	__typeof__(&SSL_shutdown) SSL_shutdown;
	__typeof__(&SSL_write) SSL_write;
	__typeof__(&TLS_client_method) TLS_client_method;
	__typeof__(&X509_NAME_ENTRY_get_data) X509_NAME_ENTRY_get_data;
	__typeof__(&X509_NAME_get_entry) X509_NAME_get_entry;
	__typeof__(&X509_NAME_get_index_by_NID) X509_NAME_get_index_by_NID;
	__typeof__(&X509_NAME_print_ex) X509_NAME_print_ex;
	__typeof__(&X509_STORE_CTX_free) X509_STORE_CTX_free;
	__typeof__(&X509_STORE_CTX_get_error) X509_STORE_CTX_get_error;
	__typeof__(&X509_STORE_CTX_init) X509_STORE_CTX_init;
	__typeof__(&X509_STORE_CTX_new) X509_STORE_CTX_new;
	__typeof__(&X509_STORE_CTX_set_default) X509_STORE_CTX_set_default;
	__typeof__(&X509_check_host) X509_check_host;
	__typeof__(&X509_free) X509_free;
	__typeof__(&X509_get0_notAfter) X509_get0_notAfter;
	__typeof__(&X509_get0_notBefore) X509_get0_notBefore;
	__typeof__(&X509_get_X509_PUBKEY) X509_get_X509_PUBKEY;
	__typeof__(&X509_get_default_cert_dir) X509_get_default_cert_dir;
	__typeof__(&X509_get_default_cert_dir_env) X509_get_default_cert_dir_env;
	__typeof__(&X509_get_default_cert_file) X509_get_default_cert_file;
	__typeof__(&X509_get_default_cert_file_env) X509_get_default_cert_file_env;
	__typeof__(&X509_get_ext_d2i) X509_get_ext_d2i;
	__typeof__(&X509_get_issuer_name) X509_get_issuer_name;
	__typeof__(&X509_get_subject_name) X509_get_subject_name;
	__typeof__(&X509_verify_cert) X509_verify_cert;
	__typeof__(&X509_verify_cert_error_string) X509_verify_cert_error_string;
	__typeof__(&i2d_X509_PUBKEY) i2d_X509_PUBKEY;
};

/* The functions, once ossl_load has filled them in (process-wide, as the library is). */
extern struct ossl_table ossl;

/* Loads libssl (and through it libcrypto): 0, or -errno with @e saying what is missing. */
int ossl_load(struct errmsg *e);

#ifndef OSSL_NO_REDIRECT
#define ASN1_STRING_get0_data (ossl.ASN1_STRING_get0_data)
#define ASN1_STRING_length (ossl.ASN1_STRING_length)
#define ASN1_STRING_to_UTF8 (ossl.ASN1_STRING_to_UTF8)
#define ASN1_TIME_to_tm (ossl.ASN1_TIME_to_tm)
#define BIO_free (ossl.BIO_free)
#define BIO_new (ossl.BIO_new)
#define BIO_read (ossl.BIO_read)
#define BIO_s_mem (ossl.BIO_s_mem)
#define CRYPTO_free (ossl.CRYPTO_free)
#define ERR_clear_error (ossl.ERR_clear_error)
#define ERR_error_string (ossl.ERR_error_string)
#define ERR_error_string_n (ossl.ERR_error_string_n)
#define ERR_get_error (ossl.ERR_get_error)
#define ERR_peek_last_error (ossl.ERR_peek_last_error)
#define EVP_Digest (ossl.EVP_Digest)
#define EVP_sha256 (ossl.EVP_sha256)
#define GENERAL_NAMES_free (ossl.GENERAL_NAMES_free)
#define OPENSSL_sk_num (ossl.OPENSSL_sk_num)
#define OPENSSL_sk_value (ossl.OPENSSL_sk_value)
#define SSL_CTX_ctrl (ossl.SSL_CTX_ctrl)
#define SSL_CTX_dane_enable (ossl.SSL_CTX_dane_enable)
#define SSL_CTX_free (ossl.SSL_CTX_free)
#define SSL_CTX_get_cert_store (ossl.SSL_CTX_get_cert_store)
#define SSL_CTX_load_verify_dir (ossl.SSL_CTX_load_verify_dir)
#define SSL_CTX_load_verify_file (ossl.SSL_CTX_load_verify_file)
#define SSL_CTX_load_verify_locations (ossl.SSL_CTX_load_verify_locations)
#define SSL_CTX_new (ossl.SSL_CTX_new)
#define SSL_CTX_set_default_verify_paths (ossl.SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_options (ossl.SSL_CTX_set_options)
#define SSL_CTX_set_verify (ossl.SSL_CTX_set_verify)
#define SSL_ctrl (ossl.SSL_ctrl)
#define SSL_dane_enable (ossl.SSL_dane_enable)
#define SSL_dane_set_flags (ossl.SSL_dane_set_flags)
#define SSL_dane_tlsa_add (ossl.SSL_dane_tlsa_add)
#define SSL_do_handshake (ossl.SSL_do_handshake)
#define SSL_free (ossl.SSL_free)
#define SSL_get0_dane_tlsa (ossl.SSL_get0_dane_tlsa)
#define SSL_get1_peer_certificate (ossl.SSL_get1_peer_certificate)
#define SSL_get_error (ossl.SSL_get_error)
#define SSL_get_peer_cert_chain (ossl.SSL_get_peer_cert_chain)
#define SSL_get_verify_result (ossl.SSL_get_verify_result)
#define SSL_get_version (ossl.SSL_get_version)
#define SSL_new (ossl.SSL_new)
#define SSL_read (ossl.SSL_read)
#define SSL_set1_host (ossl.SSL_set1_host)
#define SSL_set_connect_state (ossl.SSL_set_connect_state)
#define SSL_set_fd (ossl.SSL_set_fd)
#define SSL_set_hostflags (ossl.SSL_set_hostflags)
#define SSL_shutdown (ossl.SSL_shutdown)
#define SSL_write (ossl.SSL_write)
#define TLS_client_method (ossl.TLS_client_method)
#define X509_NAME_ENTRY_get_data (ossl.X509_NAME_ENTRY_get_data)
#define X509_NAME_get_entry (ossl.X509_NAME_get_entry)
#define X509_NAME_get_index_by_NID (ossl.X509_NAME_get_index_by_NID)
#define X509_NAME_print_ex (ossl.X509_NAME_print_ex)
#define X509_STORE_CTX_free (ossl.X509_STORE_CTX_free)
#define X509_STORE_CTX_get_error (ossl.X509_STORE_CTX_get_error)
#define X509_STORE_CTX_init (ossl.X509_STORE_CTX_init)
#define X509_STORE_CTX_new (ossl.X509_STORE_CTX_new)
#define X509_STORE_CTX_set_default (ossl.X509_STORE_CTX_set_default)
#define X509_check_host (ossl.X509_check_host)
#define X509_free (ossl.X509_free)
#define X509_get0_notAfter (ossl.X509_get0_notAfter)
#define X509_get0_notBefore (ossl.X509_get0_notBefore)
#define X509_get_X509_PUBKEY (ossl.X509_get_X509_PUBKEY)
#define X509_get_default_cert_dir (ossl.X509_get_default_cert_dir)
#define X509_get_default_cert_dir_env (ossl.X509_get_default_cert_dir_env)
#define X509_get_default_cert_file (ossl.X509_get_default_cert_file)
#define X509_get_default_cert_file_env (ossl.X509_get_default_cert_file_env)
#define X509_get_ext_d2i (ossl.X509_get_ext_d2i)
#define X509_get_issuer_name (ossl.X509_get_issuer_name)
#define X509_get_subject_name (ossl.X509_get_subject_name)
#define X509_verify_cert (ossl.X509_verify_cert)
#define X509_verify_cert_error_string (ossl.X509_verify_cert_error_string)
#define i2d_X509_PUBKEY (ossl.i2d_X509_PUBKEY)
#endif

#endif
