echo stand-in
