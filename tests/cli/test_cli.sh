echo "cli test placeholder"
