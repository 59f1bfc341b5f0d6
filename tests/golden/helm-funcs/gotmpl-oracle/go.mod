module cflux.local/gotmpl-oracle

go 1.22
