module example.invalid/walogs

go 1.24
