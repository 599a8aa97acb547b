module example.invalid/walogs

go 1.21
