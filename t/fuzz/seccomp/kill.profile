default: kill
clone3 errno
