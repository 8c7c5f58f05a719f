/* The stdlib's native library (SPEC §8), called as the runtime calls it: loaded with
 * dlopen from the native directory and looked up by symbol. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>

typedef int (*pred_fn)(const char *);
typedef const char *(*text_fn)(const char *);

static void *lib;

static void *sym(const char *name) {
    void *f = dlsym(lib, name);
    cr_assert_not_null(f, "libverity_it has no %s", name);
    return f;
}

static void open_lib(void) {
    lib = dlopen(VT_NATIVE_DIR "/libverity_it.so", RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(lib, "cannot load the native library: %s", dlerror());
}
static void close_lib(void) { if (lib) dlclose(lib); }

TestSuite(native, .init = open_lib, .fini = close_lib);

Test(native, codice_fiscale_check_letter) {
    pred_fn cf = (pred_fn)sym("vt_valid_codice_fiscale");
    cr_expect(cf("RSSMRA85T10A562S"));
    cr_expect(cf(" rssmra85t10a562s "), "blanks and case as typed in a form");
    cr_expect(!cf("RSSMRA85T10A562T"), "wrong check letter");
    cr_expect(!cf("RSSMRA85T10A562"), "too short");
    cr_expect(!cf("RSSMRA85Z10A562S"), "Z is not a month letter");
    cr_expect(!cf(""));
}

Test(native, partita_iva_check_digit) {
    pred_fn piva = (pred_fn)sym("vt_valid_partita_iva");
    cr_expect(piva("01234567897"));
    cr_expect(piva("IT01234567897"));
    cr_expect(!piva("01234567890"));
    cr_expect(!piva("00000000000"), "all zeros is not a real number");
    cr_expect(!piva("0123456789"));
    pred_fn tax = (pred_fn)sym("vt_valid_tax_code");
    cr_expect(tax("01234567897") && tax("RSSMRA85T10A562S") && !tax("hello"));
}

Test(native, email) {
    pred_fn ok = (pred_fn)sym("vt_valid_email");
    cr_expect(ok("mario.rossi@example.it"));
    cr_expect(ok("a+tag@posta-certificata.com"));
    cr_expect(!ok("mario@localhost"), "no top-level domain");
    cr_expect(!ok("a..b@example.it"));
    cr_expect(!ok("a@b@example.it"));
    cr_expect(!ok("@example.it"));
    cr_expect(!ok("mario@-example.it"));
}

Test(native, provinces) {
    text_fn prov = (text_fn)sym("vt_normalize_province");
    const char *cases[][2] = {{"Milano", "MI"}, {"MI", "MI"}, {" milano ", "MI"}, {"mi", "MI"},
                              {"Forlì", "FC"}, {"Provincia di Monza e Brianza", "MB"},
                              {"L'Aquila", "AQ"}, {"Reggio Emilia", "RE"}, {"Atlantis", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_str_eq(prov(cases[i][0]), cases[i][1], "province of \"%s\"", cases[i][0]);
}

Test(native, text_normalisation) {
    text_fn norm = (text_fn)sym("vt_normalize_text");
    cr_expect_str_eq(norm("  Forlì   CESENA "), "forli cesena");
    cr_expect_str_eq(norm(""), "");
}
