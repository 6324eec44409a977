echo "1..0 # SKIP todo"; exit 77
