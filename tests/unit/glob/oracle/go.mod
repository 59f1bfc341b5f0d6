module globoracle

go 1.22
