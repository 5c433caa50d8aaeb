module archtool

go 1.21
